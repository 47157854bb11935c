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
            return Report(error.Message, BadInput);
        }
        catch (Exception error) when (Environment.GetEnvironmentVariable("MYTORCH_DEBUG") != "1")
        {
            return Report($"unexpected {error.GetType().Name}: {error.Message} (set MYTORCH_DEBUG=1 for the stack trace)", Failure);
        }
    }

    private static int Report(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
