using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MyTorch.IO;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// A reader under fuzzing: how to read a file, which exceptions its documentation allows, and how much it may
/// allocate for an input of a given size.
/// </summary>
internal sealed class FuzzTarget
{
    /// <summary>The short name: the folder of its kept failing inputs under <c>tests/fuzz-regressions/</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The extension of the temporary and kept files.</summary>
    public required string Extension { get; init; }

    /// <summary>Reads the file at the path (and may use what it read, as a caller would); throws on bad input.</summary>
    public required Action<string> Read { get; init; }

    /// <summary>The exceptions the reader documents for bad file contents; anything else is a bug.</summary>
    public Func<Exception, bool> IsDocumented { get; init; } = e => e is DataFormatException;

    /// <summary>Bytes any input may make the reader allocate, whatever its size (buffers, a small model).</summary>
    public long AllocationFloor { get; init; } = 4L << 20;

    /// <summary>Bytes the reader may allocate per byte of input (decoding ubyte to float32 and the like).</summary>
    public long AllocationPerInputByte { get; init; } = 64;
}

/// <summary>What one input did.</summary>
internal enum FuzzOutcome
{
    /// <summary>The reader accepted the input.</summary>
    Accepted,

    /// <summary>The reader rejected it with a documented exception.</summary>
    Rejected,

    /// <summary>An undocumented exception, too much time or too much memory: a bug.</summary>
    Failed,
}

/// <summary>The counts of one fuzzing run and its failures (each one kept as a file).</summary>
internal sealed class FuzzReport(string target)
{
    public string Target { get; } = target;
    public int Tried { get; set; }
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public List<string> Failures { get; } = [];
    public TimeSpan Elapsed { get; set; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Target}: {Tried} inputs ({Accepted} accepted, {Rejected} rejected with DataFormatException, {Failures.Count} failures) in {Elapsed.TotalSeconds:F1} s");
}

/// <summary>
/// Feeds inputs to a <see cref="FuzzTarget"/> and checks, for each, that only a documented exception escapes,
/// that it finishes within <see cref="TimeLimit"/> and that it allocates at most the target's allowance (measured
/// with <see cref="GC.GetAllocatedBytesForCurrentThread"/>). Every failing input is written under
/// <c>tests/fuzz-regressions/&lt;target&gt;/</c>, where the regression tests replay it from then on.
/// </summary>
/// <remarks>
/// Counts come from MYTORCH_FUZZ_ITERATIONS (inputs per reader; the CI default is the count each test passes)
/// and the first input's seed from MYTORCH_FUZZ_SEED, so a longer local run is
/// <c>MYTORCH_FUZZ_ITERATIONS=200000 MYTORCH_FUZZ_SEED=7 dotnet test --filter Category=Fuzz</c>.
/// </remarks>
internal static class FuzzRunner
{
    /// <summary>The longest one input may take. Generous, so a loaded CI machine does not flake; real hangs take forever.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(5);

    /// <summary>After this long the input counts as hung: it is kept and the test fails without waiting for it.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    /// <summary>The number of inputs per reader: MYTORCH_FUZZ_ITERATIONS, or <paramref name="ciDefault"/>.</summary>
    public static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("MYTORCH_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : ciDefault;

    /// <summary>The base seed: MYTORCH_FUZZ_SEED, or a fixed one so CI runs are reproducible.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("MYTORCH_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : 20_240_607;

    /// <summary>The folder of kept failing inputs of <paramref name="target"/>, in the repository (created on demand).</summary>
    public static string RegressionFolder(string target) => Path.Combine(RepositoryRoot(), "tests", "fuzz-regressions", target);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MyTorch.sln"))) return dir.FullName;
        return Path.GetTempPath();
    }

    /// <summary>
    /// Runs every input of <paramref name="inputs"/> (generated lazily, on the worker thread) through the target.
    /// A watchdog on the calling thread catches an input that never returns.
    /// </summary>
    public static FuzzReport Run(FuzzTarget target, IEnumerable<byte[]> inputs)
    {
        var report = new FuzzReport(target.Name);
        string work = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        byte[]? current = null;
        long startedAt = 0;
        Exception? crash = null;
        var clock = Stopwatch.StartNew();
        var worker = new Thread(() =>
        {
            try
            {
                string path = Path.Combine(work, "input" + target.Extension);
                foreach (var input in inputs)
                {
                    Volatile.Write(ref current, input);
                    Volatile.Write(ref startedAt, Stopwatch.GetTimestamp());
                    var (outcome, problem) = RunOne(target, input, path);
                    Volatile.Write(ref startedAt, 0);
                    report.Tried++;
                    if (outcome == FuzzOutcome.Accepted) report.Accepted++;
                    else if (outcome == FuzzOutcome.Rejected) report.Rejected++;
                    else lock (report.Failures) report.Failures.Add(Keep(target, input, problem!));
                    if (report.Failures.Count >= 25) break;
                }
            }
            catch (Exception e)
            {
                crash = e;
            }
        }, 64 << 20) { IsBackground = true, Name = "fuzz " + target.Name };
        worker.Start();
        while (!worker.Join(100))
        {
            long started = Volatile.Read(ref startedAt);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > HangLimit)
            {
                // The worker cannot be stopped safely; it is a background thread and dies with the test process.
                lock (report.Failures)
                    report.Failures.Add(Keep(target, Volatile.Read(ref current)!, $"no result after {HangLimit.TotalSeconds} s (hang)"));
                break;
            }
        }
        report.Elapsed = clock.Elapsed;
        if (!worker.IsAlive) TryDelete(work);
        if (crash is not null) throw new InvalidOperationException($"The fuzz input generator for {target.Name} failed.", crash);
        return report;
    }

    /// <summary>Writes <paramref name="input"/> to <paramref name="path"/>, reads it, and judges the result.</summary>
    public static (FuzzOutcome Outcome, string? Problem) RunOne(FuzzTarget target, byte[] input, string path)
    {
        File.WriteAllBytes(path, input);
        long allowance = target.AllocationFloor + target.AllocationPerInputByte * input.Length;
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            target.Read(path);
        }
#pragma warning disable CA1031 // Catching everything is the point: any exception type is judged below.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (error is not null && !target.IsDocumented(error))
            return (FuzzOutcome.Failed, $"undocumented {error.GetType().FullName}: {error.Message}\n{error.StackTrace}");
        if (error is not null && MessageProblem(error.Message, path) is string bad)
            return (FuzzOutcome.Failed, $"{bad}: {MessageText.Clean(error.Message, 300)}");
        if (elapsed > TimeLimit)
            return (FuzzOutcome.Failed, string.Create(CultureInfo.InvariantCulture, $"took {elapsed.TotalSeconds:F1} s (limit {TimeLimit.TotalSeconds} s)"));
        if (allocated > allowance)
            return (FuzzOutcome.Failed, string.Create(CultureInfo.InvariantCulture,
                $"allocated {allocated:N0} bytes for a {input.Length}-byte input (limit {allowance:N0})"));
        return (error is null ? FuzzOutcome.Accepted : FuzzOutcome.Rejected, null);
    }

    /// <summary>The longest message allowed, in UTF-8 bytes, not counting the input's path (a temporary folder here).</summary>
    public const int MaxMessageBytes = 500;

    /// <summary>
    /// What is wrong with an error message, or null: it must be one line without control characters (nothing from
    /// the file may reach a terminal raw) and short whatever the file holds.
    /// </summary>
    public static string? MessageProblem(string message, string path)
    {
        foreach (char c in message)
            if (MessageText.IsUnsafe(c) && !char.IsSurrogate(c))
                return string.Create(CultureInfo.InvariantCulture, $"the message holds control character U+{(int)c:X4}");
        int bytes = Encoding.UTF8.GetByteCount(message.Replace(path, "", StringComparison.Ordinal).Replace(Path.GetDirectoryName(path)!, "", StringComparison.Ordinal));
        return bytes > MaxMessageBytes ? string.Create(CultureInfo.InvariantCulture, $"the message is {bytes} bytes (limit {MaxMessageBytes})") : null;
    }

    /// <summary>Replays every kept input of <paramref name="target"/> (with the watchdog); returns the number replayed and the problems.</summary>
    public static (int Replayed, List<string> Problems) Replay(FuzzTarget target)
    {
        string folder = RegressionFolder(target.Name);
        if (!Directory.Exists(folder)) return (0, []);
        var files = Directory.GetFiles(folder, "*" + target.Extension).Order(StringComparer.Ordinal).ToArray();
        var report = Run(target, files.Select(File.ReadAllBytes));
        return (report.Tried, report.Failures);
    }

    /// <summary>Keeps a failing input under its content hash, so the same input is kept once.</summary>
    private static string Keep(FuzzTarget target, byte[] input, string problem)
    {
        string folder = RegressionFolder(target.Name);
        Directory.CreateDirectory(folder);
        string name = Convert.ToHexStringLower(SHA256.HashData(input))[..16] + target.Extension;
        string file = Path.Combine(folder, name);
        if (!File.Exists(file)) File.WriteAllBytes(file, input);
        string firstLines = string.Join('\n', problem.Split('\n').Take(4));
        return $"{file}: {firstLines}";
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A one-paragraph summary of the failures for an assertion message.</summary>
    public static string Describe(FuzzReport report)
    {
        var text = new StringBuilder(report.ToString());
        foreach (var failure in report.Failures.Take(10)) text.Append("\n- ").Append(failure);
        return text.ToString();
    }
}
