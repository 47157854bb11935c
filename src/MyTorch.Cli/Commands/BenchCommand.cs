using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MyTorch.Cli.Benchmarks;
using MyTorch.Kernels;
using Spectre.Console;

namespace MyTorch.Cli.Commands;

/// <summary>
/// <c>mytorch bench</c>: SGEMM GFLOP/s, MLP training and inference samples per second, allocations per step,
/// start-up time and peak memory, as one JSON object (or tables on a terminal). bench/compare-pytorch.sh runs it
/// beside the same measurements in PyTorch.
/// </summary>
public static class BenchCommand
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "print only the JSON object on stdout (the default when stdout is not a terminal)" };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "threads for the kernels (default: all cores, or MYTORCH_NUM_THREADS); GEMM is also measured on one" };
    private static readonly Option<bool> QuickOption = new("--quick") { Description = "fewer, shorter repetitions and no GEMM shapes above 256^3: a smoke test, not a measurement" };
    private static readonly Option<string?> OnlyOption = new("--only") { Description = "run one part: gemm, train, inference, layers, conv (the lenet5 and cnn presets), startup (load the data, build the model, exit), or cores (whether the threads get a whole core each right now)" };
    private static readonly Option<int> EpochsOption = new("--epochs") { Description = "also train a fresh model for this many epochs and report its test accuracy" };
    private static readonly Option<string> DataOption = new("--data")
    {
        Description = "auto (Fashion-MNIST from /usr/share/datasets/fashion-mnist when installed, else the shipped digits), fashion-mnist, mnist, or a folder with the four IDX files",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<ulong> SeedOption = new("--seed") { Description = "seed of the initialization and the batch order", DefaultValueFactory = _ => 42UL };
    private static readonly Option<string?> BlasOption = new("--blas")
    {
        HelpName = "path",
        Description = "also time this CBLAS library's cblas_sgemm (for example OpenBLAS's libblas.so.3) on each GEMM shape, alternating with MyTorch's in this process, and report the paired ratio",
    };
    private static readonly Option<string?> KernelPathOption = new("--kernel-path")
    {
        HelpName = "auto|scalar|vector128|vector256|vector512",
        Description = "force the vector width of MyTorch's own kernels (GEMM, single-row GEMM, fused activation backward; default: auto, the widest this CPU accelerates, or MYTORCH_KERNEL_PATH); TensorPrimitives-based ops are not affected",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("bench", "Measure GEMM GFLOP/s, MLP training and inference samples/s, allocations per step, start-up time and peak memory.");
        foreach (var option in new Option[] { JsonOption, ThreadsOption, QuickOption, OnlyOption, EpochsOption, DataOption, SeedOption, KernelPathOption, BlasOption })
            command.Options.Add(option);
        OnlyOption.AcceptOnlyFromAmong([.. BenchParts.All]);
        CommandLineErrors.AddRange(ThreadsOption, 1, "a positive number");
        KernelPathOption.Validators.Add(r =>
        {
            string? text = r.GetValueOrDefault<string?>();
            if (text is not null && KernelOptions.ParseKernelPath(text) is null)
                r.AddError($"Invalid value '{text}' for option --kernel-path: expected auto, scalar, vector128, vector256 or vector512.");
        });
        CommandLineErrors.AddRange(EpochsOption, 0, "0 or more");
        command.SetAction(result => CommandLineErrors.Run(() => Execute(result)));
        return command;
    }

    private static int Execute(ParseResult result)
    {
        // Read first, so that it measures the runtime's start and the parsing, not the benchmark.
        double processToCommand = SinceProcessStart();
        if (result.GetValue(ThreadsOption) is int threads) KernelOptions.MaxThreads = threads;
        if (KernelOptions.ParseKernelPath(result.GetValue(KernelPathOption)) is KernelPath path)
        {
            if (!KernelOptions.IsSupported(path))
                throw new ArgumentException($"Invalid value '{result.GetValue(KernelPathOption)}' for option --kernel-path: this machine does not accelerate {path}; it supports {string.Join(", ", KernelOptions.SupportedPaths.Select(KernelOptions.FormatKernelPath))}.");
            KernelOptions.Path = path;
        }
        var reference = result.GetValue(BlasOption) is { } blasPath ? ReferenceBlas.Load(blasPath) : null;
        var settings = new BenchSettings(result.GetValue(QuickOption), KernelOptions.MaxThreads, result.GetValue(OnlyOption),
            result.GetValue(EpochsOption), result.GetValue(DataOption)!, result.GetValue(SeedOption));
        bool json = result.GetValue(JsonOption) || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive;
        static void Progress(string line) => Console.Error.WriteLine("bench: " + line);
        if (!MachineInfo.LibraryOptimized)
            Progress("warning: MyTorch is a Debug build; run with -c Release for meaningful numbers");

        var report = new JsonObject
        {
            ["tool"] = "mytorch",
            ["machine"] = MachineWithKernelPath(),
            ["settings"] = new JsonObject
            {
                ["threads"] = settings.Threads,
                ["quick"] = settings.Quick,
                ["only"] = settings.Only,
                ["epochs"] = settings.Epochs,
                ["repetitions"] = settings.Repetitions,
                ["warmup_seconds"] = settings.WarmupSeconds,
                ["repetition_seconds"] = settings.RepetitionSeconds,
            },
        };

        // The data and the model come first, so that process start to ready is what a training run waits for.
        bool needsModel = settings.Runs(BenchParts.Train) || settings.Runs(BenchParts.Inference) || settings.Runs(BenchParts.Layers)
            || settings.Runs(BenchParts.Startup);
        MlpData? data = null;
        MlpRecipe? recipe = null;
        if (needsModel)
        {
            Progress($"loading {settings.Data} and building the model");
            var clock = Stopwatch.StartNew();
            data = MlpData.Load(settings.Data);
            recipe = new MlpRecipe(data, settings.Seed);
            double dataAndModel = clock.Elapsed.TotalMilliseconds;
            report["startup"] = new JsonObject
            {
                ["process_to_command_ms"] = Math.Round(processToCommand, 1),
                ["data_and_model_ms"] = Math.Round(dataAndModel, 1),
                ["process_to_ready_ms"] = Math.Round(SinceProcessStart(), 1),
                ["dataset"] = data.Name,
                ["peak_working_set_bytes"] = PeakWorkingSet(),
            };
        }

        // The core check brackets the measurements (not start-up's, which it would delay), so that a report says
        // whether its multi-threaded figures ran on whole cores; see CoreCheck.
        var coreChecks = new JsonArray();
        bool checksCores = settings.Only != BenchParts.Startup;
        var before = checksCores ? CheckCores(settings, settings.Only == BenchParts.Cores ? "now" : "before", coreChecks, Progress) : null;
        if (settings.Runs(BenchParts.Gemm)) report["gemm"] = GemmBenchmark.Run(settings, Progress, reference);
        if (settings.Runs(BenchParts.Train)) report["train"] = MlpBenchmark.Train(settings, data!, recipe!, Progress);
        if (settings.Runs(BenchParts.Inference)) report["inference"] = MlpBenchmark.Inference(settings, data!, recipe!, Progress);
        if (settings.Runs(BenchParts.Layers)) report["layers"] = LayerVariantsBenchmark.Run(settings, data!, Progress);
        if (settings.Runs(BenchParts.Conv)) report["conv"] = ConvBenchmark.Run(settings, before?.AllThreads.Best, Progress);
        if (checksCores && settings.Only != BenchParts.Cores) _ = CheckCores(settings, "after", coreChecks, Progress);
        if (checksCores) report["core_checks"] = coreChecks;

        report["memory"] = new JsonObject
        {
            ["peak_working_set_bytes"] = PeakWorkingSet(),
            ["gc_heap_bytes"] = GC.GetGCMemoryInfo().HeapSizeBytes,
            ["total_allocated_bytes"] = GC.GetTotalAllocatedBytes(precise: false),
        };

        if (json)
            Console.Out.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else
            BenchTables.Write(AnsiConsole.Console, report);
        return CommandLineErrors.Ok;
    }

    /// <summary>Runs a <see cref="CoreCheck"/> at the kernels' thread count (none with one thread) and adds it, labelled <paramref name="when"/>.</summary>
    private static CoreCheckResult? CheckCores(BenchSettings settings, string when, JsonArray checks, Action<string> progress)
    {
        if (settings.Threads < 2)
        {
            progress("one thread: no core check");
            return null;
        }
        var result = CoreCheck.Measure(settings.Threads, settings.CoreCheckSamples);
        progress($"core check ({when}): {settings.Threads} threads together ran {result.Scaling.Median:F2}x one thread's FMA " +
                 $"throughput (median of {result.Scaling.Values.Count}; whole cores in {result.WholeCoresShare * 100:F0}% of them)");
        var json = result.ToJson();
        json["when"] = when;
        checks.Add(json);
        return result;
    }

    /// <summary>The machine description plus the kernel path in use (after --kernel-path), as vector512, vector256, vector128 or scalar.</summary>
    private static JsonObject MachineWithKernelPath()
    {
        var machine = MachineInfo.ToJson();
        machine["kernel_path"] = KernelOptions.FormatKernelPath(KernelOptions.ActivePath);
        return machine;
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    private static double SinceProcessStart()
    {
        using var process = Process.GetCurrentProcess();
        return (DateTime.Now - process.StartTime).TotalMilliseconds;
    }
}
