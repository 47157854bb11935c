using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MyTorch.IO;

namespace MyTorch.Cli.Training;

/// <summary>
/// Keeps two trainings from writing one --out folder at once (the second would overwrite the first one's model and
/// checkpoints while both report success): a lock file in the folder names the holder's process and its start time.
/// A lock whose process has exited, or whose process id now belongs to another process, is stale and taken over.
/// Once the lock is held, temporary files that a killed run left behind mid-write are removed.
/// </summary>
public sealed partial class OutputLock : IDisposable
{
    /// <summary>The lock file's name inside the output folder.</summary>
    public const string FileName = ".mytorch-train.lock";

    private readonly string path;
    private readonly string holder;
    private bool released;

    private OutputLock(string path, string holder) => (this.path, this.holder) = (path, holder);

    /// <summary>Creates <paramref name="directory"/> if needed and takes its lock.</summary>
    /// <exception cref="IOException">Another live training holds the lock (the message names its process).</exception>
    public static OutputLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        string me = Describe(Environment.ProcessId, Process.GetCurrentProcess().StartTime.ToUniversalTime());
        // Twice at most: once more after removing a stale lock (another process may take it first, and then wins).
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                using (var writer = new StreamWriter(file))
                    writer.Write(me);
                var acquired = new OutputLock(path, me);
                RemoveLeftoverTemporaryFiles(directory);
                return acquired;
            }
            catch (IOException) when (File.Exists(path) && attempt == 0)
            {
                string holder = ReadHolder(path);
                if (IsLive(holder))
                    throw new IOException(
                        $"Cannot train into '{MessageText.Clean(directory, 200)}': another training ({MessageText.Clean(holder, 100)}) is writing there; " +
                        $"choose another --out, or wait for it to finish (its lock is {FileName}).");
                TryDelete(path);
            }
        }
    }

    /// <summary>Removes the lock, if this process still holds it.</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        if (ReadHolder(path) == holder) TryDelete(path);
    }

    private static string Describe(int processId, DateTime? started) =>
        string.Create(CultureInfo.InvariantCulture, $"process {processId}") +
        (started is DateTime time ? string.Create(CultureInfo.InvariantCulture, $" started {time:yyyy-MM-ddTHH:mm:ssZ}") : "");

    private static string ReadHolder(string path)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            var buffer = new char[200];
            return new string(buffer, 0, reader.ReadBlock(buffer));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Whether the process the lock names is running and is the one that wrote it (same start time).</summary>
    private static bool IsLive(string holder)
    {
        var match = HolderPattern().Match(holder);
        if (!match.Success) return false;
        int id = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        try
        {
            using var process = Process.GetProcessById(id);
            return Describe(id, process.StartTime.ToUniversalTime()) == match.Value;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false; // not running
        }
    }

    [GeneratedRegex(@"^process (\d{1,10}) started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")]
    private static partial Regex HolderPattern();

    // AtomicFile's temporary files: "." + name + "." + 32 hex digits + ".tmp".
    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TemporaryFilePattern();

    private static void RemoveLeftoverTemporaryFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
            if (TemporaryFilePattern().IsMatch(Path.GetFileName(file))) TryDelete(file);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
