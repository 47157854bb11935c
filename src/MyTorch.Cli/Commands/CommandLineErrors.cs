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

    /// <summary>Training was interrupted (Ctrl-C); what existed was written (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

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

    /// <summary>
    /// Checks an output-folder option's value before any work: not a file, creatable, writable; the errors name
    /// <paramref name="option"/> and the folder, never a file written inside it.
    /// </summary>
    /// <exception cref="ArgumentException">It is a file, or the folder cannot be created or written.</exception>
    public static void CheckOutputFolder(string path, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        string shown = MessageText.Quote(path, 200), full = MessageText.Clean(Path.GetFullPath(path), 200);
        if (File.Exists(path))
            throw new ArgumentException($"Invalid value {shown} for option {option}: it is a file; expected a folder (created if it does not exist).", option);
        for (var parent = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            if (File.Exists(parent))
                throw new ArgumentException($"Invalid value {shown} for option {option}: {MessageText.Clean(parent, 200)} is a file, so no folder can be made inside it.", option);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Invalid value {shown} for option {option}: the folder {full} cannot be created ({Reason(error)}).", option);
        }
        var probe = Path.Combine(path, $".mytorch-write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Invalid value {shown} for option {option}: the folder {full} cannot be written ({Reason(error)}).", option);
        }
    }

    /// <summary>
    /// Writes an output-file option's file atomically; every way it can fail names <paramref name="option"/> and the
    /// file (a folder there, a missing or non-folder parent, a folder that cannot be written), never the temporary
    /// file written beside it.
    /// </summary>
    /// <exception cref="ArgumentException">The file cannot be written there.</exception>
    public static void WriteOutputFile(string path, string option, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        string shown = MessageText.Quote(path, 200);
        if (Directory.Exists(path))
            throw new ArgumentException($"Invalid value {shown} for option {option}: it is a folder; expected a file name.", option);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        if (File.Exists(folder))
            throw new ArgumentException($"Invalid value {shown} for option {option}: {MessageText.Clean(folder, 200)} is a file, not a folder.", option);
        if (!Directory.Exists(folder))
            throw new ArgumentException($"Invalid value {shown} for option {option}: the folder {MessageText.Clean(folder, 200)} does not exist.", option);
        try
        {
            AtomicFile.Write(path, write);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Invalid value {shown} for option {option}: it cannot be written in {MessageText.Clean(folder, 200)} ({Reason(error)}).", option);
        }
    }

    private static string Reason(Exception error) => error switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException or FileNotFoundException => "the file system does not allow it here",
        // The system's words without the path they quote, which may be a temporary file's.
        _ => MessageText.Clean(System.Text.RegularExpressions.Regex.Replace(error.Message, @"\s*:?\s*'[^']*'", "").TrimEnd('.', ' '), 160),
    };

    /// <summary>The message without the " (Parameter 'x')" that ArgumentException appends: a user typed an option, not a parameter.</summary>
    private static string WithoutParameterName(Exception error) =>
        error is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
            : error.Message;

    /// <summary>Adds a check that <paramref name="option"/>'s value lies in [minimum, maximum], with an error naming it and <paramref name="expected"/>.</summary>
    public static void AddRange(System.CommandLine.Option<int> option, int minimum, string expected, int maximum = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        // A value that does not parse as a number has its own parse error already; the range is checked for the rest.
        option.Validators.Add(r =>
        {
            if (TryParsed(r, out int v) && (v < minimum || v > maximum)) r.AddError($"Invalid value '{v}' for option {option.Name}: expected {expected}.");
        });
    }

    /// <summary>Adds a check that <paramref name="option"/>'s value, when given, lies in [minimum, maximum].</summary>
    public static void AddRange(System.CommandLine.Option<int?> option, int minimum, string expected, int maximum = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(r =>
        {
            if (TryParsed(r, out int? parsed) && parsed is int v && (v < minimum || v > maximum))
                r.AddError($"Invalid value '{v}' for option {option.Name}: expected {expected}.");
        });
    }

    /// <summary>An option's value; false when it did not parse (the parser reports that itself).</summary>
    private static bool TryParsed<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>
    /// A parse error in the user's words: "Cannot parse argument 'abc' for option '--lr' as expected type
    /// 'System.Nullable`1[System.Double]'" becomes "Invalid value 'abc' for option --lr: expected a number".
    /// </summary>
    public static string Readable(string parseError, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(parseError);
        // A value outside an option's choices: System.CommandLine's message names neither the option nor the choices plainly.
        var choice = System.Text.RegularExpressions.Regex.Match(parseError,
            @"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<choices>.*)$", System.Text.RegularExpressions.RegexOptions.Singleline);
        if (choice.Success && option is not null)
        {
            var choices = System.Text.RegularExpressions.Regex.Matches(choice.Groups["choices"].Value, "'([^']*)'").Select(m => m.Groups[1].Value);
            return $"Invalid value {MessageText.Quote(choice.Groups["value"].Value, 64)} for option {option}: expected one of {string.Join(", ", choices)}.";
        }
        var match = System.Text.RegularExpressions.Regex.Match(parseError,
            @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.?$", System.Text.RegularExpressions.RegexOptions.Singleline);
        if (!match.Success) return parseError;
        string type = match.Groups["type"].Value;
        string expected = type.Contains("Int32", StringComparison.Ordinal) ? $"a whole number (at most {int.MaxValue})"
            : type.Contains("Int64", StringComparison.Ordinal) || type.Contains("UInt64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) ? "a number"
            : "a value of the option's kind";
        return $"Invalid value {MessageText.Quote(match.Groups["value"].Value, 64)} for option {match.Groups["option"].Value}: expected {expected}.";
    }

    /// <summary>
    /// The option of <paramref name="command"/> closest to <paramref name="token"/> (a typo of it), or null when none is
    /// near: at most two edits away, or the token a prefix of exactly one option.
    /// </summary>
    public static string? Nearest(System.CommandLine.Command command, string token)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Nearest(command.Options.SelectMany(o => o.Aliases.Append(o.Name)).Where(n => n.StartsWith('-')), token);
    }

    /// <summary>The name closest to <paramref name="token"/>, as <see cref="Nearest(System.CommandLine.Command, string)"/> picks it.</summary>
    public static string? Nearest(IEnumerable<string> candidates, string token)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(token);
        var names = candidates.Distinct().ToArray();
        var prefixed = names.Where(n => n.StartsWith(token, StringComparison.Ordinal)).ToArray();
        if (prefixed.Length == 1) return prefixed[0];
        var (best, distance) = names.Select(n => (n, Distance(n, token))).OrderBy(p => p.Item2).FirstOrDefault();
        return best is not null && distance <= 2 ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
                row[j] = Math.Min(Math.Min(row[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, row) = (row, previous);
        }
        return previous[b.Length];
    }

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
