using MyTorch.Cli.Training;
using MyTorch.IO;

namespace MyTorch.Cli.Commands;

/// <summary>Exit codes and the one place where exceptions become messages for the user.</summary>
public static class CommandLineErrors
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>An unexpected failure (a bug): the message and, with MYTORCH_DEBUG=1, the stack trace.</summary>
    public const int Failure = 1;
    /// <summary>Bad input: an invalid option, a missing or corrupt file.</summary>
    public const int BadInput = 2;
    /// <summary>Training stopped because the loss became NaN or infinite (or, with --detect-anomaly, an op produced NaN or infinity).</summary>
    public const int Diverged = 3;

    /// <summary>Runs a command body, turning the errors a user can fix into one clear line and an exit code.</summary>
    public static int Run(Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (NonFiniteLossException error)
        {
            return Report(error.Message, Diverged);
        }
        catch (AnomalyException error)
        {
            return Report(error.Message, Diverged);
        }
        catch (Exception error) when (error is DataFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException
            or UnauthorizedAccessException or IOException)
        {
            return Report(WithoutParameterName(error), BadInput);
        }
        catch (OutOfMemoryException)
        {
            // The readers and the evaluation bound their memory by the input and the model; what is left is a model
            // or data set larger than this machine (or a heap limit) allows, which the user can change.
            return Report("out of memory: the data or the model is too large for the memory available; try a smaller model (--hidden) or less data", BadInput);
        }
        catch (Exception error) when (Environment.GetEnvironmentVariable("MYTORCH_DEBUG") != "1")
        {
            return Report($"unexpected {error.GetType().Name}: {error.Message} (set MYTORCH_DEBUG=1 for the stack trace)", Failure);
        }
    }

    /// <summary>Checks a file option's value: it exists, and it is a regular file, not a folder or a device.</summary>
    /// <exception cref="ArgumentException">It is a folder.</exception>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="DataFormatException">It is a device, FIFO or socket.</exception>
    public static void CheckFileOption(string path, string option, string expected)
    {
        if (Directory.Exists(path))
            throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option {option}: it is a folder; expected {expected}.", option);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The {option} file {MessageText.Quote(path, 200)} (full path {MessageText.Clean(Path.GetFullPath(path), 200)}) does not exist; expected {expected}.", path);
        InputFile.CheckRegular(path);
    }

    /// <summary>The message without the " (Parameter 'x')" that ArgumentException appends: a user typed an option, not a parameter.</summary>
    private static string WithoutParameterName(Exception error) =>
        error is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
            : error.Message;

    /// <summary>The longest error line printed, in UTF-8 bytes with its "error: " and without the newline.</summary>
    public const int MaxErrorLineBytes = 499;

    /// <summary>
    /// Prints <paramref name="message"/> as one "error: " line of at most <see cref="MaxErrorLineBytes"/> bytes:
    /// control characters (which file names and file contents may carry) escaped, the end cut if longer.
    /// </summary>
    public static int Report(string message, int code)
    {
        Console.Error.WriteLine(ErrorLine(message));
        return code;
    }

    /// <summary>The line <see cref="Report"/> prints for <paramref name="message"/>.</summary>
    public static string ErrorLine(string? message) => "error: " + MessageText.OneLine(message, MaxErrorLineBytes - "error: ".Length);
}
