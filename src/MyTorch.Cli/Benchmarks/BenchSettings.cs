namespace MyTorch.Cli.Benchmarks;

/// <summary>The parts of <c>mytorch bench</c> that <c>--only</c> can pick.</summary>
public static class BenchParts
{
    /// <summary>SGEMM GFLOP/s per shape.</summary>
    public const string Gemm = "gemm";
    /// <summary>MLP training samples per second, allocations per step, and (with --epochs) test accuracy.</summary>
    public const string Train = "train";
    /// <summary>Forward-only samples per second at batch 1 and 256.</summary>
    public const string Inference = "inference";
    /// <summary>Only the start-up measurement: load the data, build the model, report, exit.</summary>
    public const string Startup = "startup";
    /// <summary>Training samples per second with BatchNorm, dropout and the seed's MLP against the plain network, alternately.</summary>
    public const string Layers = "layers";
    /// <summary>The convolutional presets: training and inference (<see cref="ConvBenchmark"/>).</summary>
    public const string Conv = "conv";
    /// <summary>Only the core check (<see cref="CoreCheck"/>): whether the threads get a whole core each right now.</summary>
    public const string Cores = "cores";

    /// <summary>Every value --only accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [Gemm, Train, Inference, Layers, Conv, Startup, Cores];
}

/// <summary>
/// What <c>mytorch bench</c> runs and how long it measures each thing. <see cref="Quick"/> trades precision for
/// time (a smoke test): fewer and shorter repetitions and no GEMM shapes above 256³.
/// </summary>
public sealed record BenchSettings
{
    /// <summary>Validates the settings.</summary>
    /// <exception cref="ArgumentException">A value is out of range or <paramref name="only"/> is not a known part.</exception>
    public BenchSettings(bool quick, int threads, string? only, int epochs, string data, ulong seed)
    {
        if (threads < 1) throw new ArgumentException($"Invalid value '{threads}' for option --threads: expected a positive number.", nameof(threads));
        if (epochs < 0) throw new ArgumentException($"Invalid value '{epochs}' for option --epochs: expected 0 or more.", nameof(epochs));
        if (only is not null && !BenchParts.All.Contains(only))
            throw new ArgumentException($"Invalid value '{only}' for option --only: expected one of {string.Join(", ", BenchParts.All)}.", nameof(only));
        ArgumentException.ThrowIfNullOrEmpty(data);
        Quick = quick;
        Threads = threads;
        Only = only;
        Epochs = epochs;
        Data = data;
        Seed = seed;
    }

    /// <summary>Fewer, shorter repetitions (for smoke tests); numbers are indicative only.</summary>
    public bool Quick { get; }

    /// <summary>The kernels' thread count (<see cref="MyTorch.Kernels.KernelOptions.MaxThreads"/>) for everything but the single-threaded GEMM rows.</summary>
    public int Threads { get; }

    /// <summary>The one part to run, or null for all of them.</summary>
    public string? Only { get; }

    /// <summary>Epochs of a fresh training run whose test accuracy is reported; 0 skips it.</summary>
    public int Epochs { get; }

    /// <summary><c>auto</c> (Fashion-MNIST when installed, else the shipped digits), <c>fashion-mnist</c>, <c>mnist</c>, or a folder of IDX files.</summary>
    public string Data { get; }

    /// <summary>Seeds the model's initialization and the batch order.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a part runs.</summary>
    public bool Runs(string part) => Only is null || Only == part;

    /// <summary>Timed repetitions per measurement; the report gives their median, best and spread.</summary>
    public int Repetitions => Quick ? 3 : 7;

    /// <summary>Minimum seconds of untimed calls before the timed ones.</summary>
    public double WarmupSeconds => Quick ? 0.01 : 0.3;

    /// <summary>Target seconds of one timed repetition (whole calls, at least one).</summary>
    public double RepetitionSeconds => Quick ? 0.02 : 0.2;

    /// <summary>Untimed training steps before the timed ones.</summary>
    public int WarmupSteps => Quick ? 5 : 100;

    /// <summary>The least time training warms up before it is timed, so tiered compilation has finished (seconds).</summary>
    public double TrainWarmupSeconds => Quick ? 0 : 2;

    /// <summary>Training steps in one timed repetition.</summary>
    public int StepsPerRepetition => Quick ? 5 : 100;

    /// <summary>Training steps over which allocations and gen-0 collections are counted.</summary>
    public int AllocationSteps => Quick ? 20 : 100;

    /// <summary>Sample pairs of one <see cref="CoreCheck"/> (about 20 ms each).</summary>
    public int CoreCheckSamples => Quick ? 5 : 25;

    /// <summary>Sample pairs of the <see cref="CoreCheck"/> after each multi-threaded repetition.</summary>
    public int CoreCheckSamplesBetweenRepetitions => Quick ? 1 : 2;

    /// <summary>Whether GEMM shapes above 256³ are measured.</summary>
    public bool LargeGemmShapes => !Quick;
}
