using System.Diagnostics;
using System.Text.Json.Nodes;
using MyTorch.Cli.Training;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Benchmarks;

/// <summary>The benchmark's data: all training images (no validation split) and the test set, standardized.</summary>
/// <param name="Train">Training images (n, 784), standardized with one mean and standard deviation over all pixels, and int64 labels.</param>
/// <param name="Test">Test images, standardized with the training set's statistics, and labels.</param>
/// <param name="Name">fashion-mnist, mnist (the shipped 10,000 digits) or the folder given.</param>
/// <param name="Directory">The folder the IDX files were read from.</param>
public sealed record MlpData(TensorDataset Train, TensorDataset Test, string Name, string Directory)
{
    /// <summary>
    /// Loads <paramref name="data"/>: <c>auto</c> is Fashion-MNIST when Debian's package installed it, else the shipped
    /// digits; otherwise whatever <c>mytorch train --data</c> accepts for IDX files.
    /// </summary>
    public static MlpData Load(string data)
    {
        ArgumentException.ThrowIfNullOrEmpty(data);
        string name = data == "auto" ? (System.IO.Directory.Exists(DataPreparation.FashionMnistDirectory) ? "fashion-mnist" : "mnist") : data;
        string directory = DataPreparation.ResolveIdxDirectory(name);
        var mnist = Mnist.Load(directory);
        // The same preparation as mytorch train's default (--normalize auto), as torchvision's Normalize does.
        var normalizer = InputNormalizer.Standardize(perFeature: false).Fit(mnist.TrainImages);
        // In place: the loaded images are this method's own, so no second full-size copy is made.
        return new MlpData(
            new TensorDataset(normalizer.TransformInPlace(mnist.TrainImages), mnist.TrainLabels),
            new TensorDataset(normalizer.TransformInPlace(mnist.TestImages), mnist.TestLabels),
            name, Path.GetFullPath(directory));
    }
}

/// <summary>
/// The recipe: MLP 784-256-128-10 with ReLU, batch 128, SGD with learning rate 0.01 and momentum 0.9,
/// float32, cross-entropy; each step exactly as <see cref="Trainer"/> takes it (ZeroGrad, Forward, loss, Item,
/// Backward, Step).
/// </summary>
public sealed class MlpRecipe
{
    /// <summary>Rows per training batch.</summary>
    public const int BatchSize = 128;
    /// <summary>SGD learning rate (constant).</summary>
    public const double LearningRate = 0.01;
    /// <summary>SGD momentum.</summary>
    public const double Momentum = 0.9;

    private readonly CrossEntropyLoss criterion = new();

    /// <summary>A freshly initialized network (PyTorch's default uniform initialization), optimizer and shuffling loader.</summary>
    /// <param name="data">The training and test sets.</param>
    /// <param name="seed">Seeds the initialization and the shuffling.</param>
    /// <param name="useGraph">Train through the dynamic graph (ZeroGrad, Forward, Backward, Step) instead of the compiled step.</param>
    public MlpRecipe(MlpData data, ulong seed, bool useGraph = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var generator = new Generator(seed);
        int inputs = data.Train.Inputs.Shape[1];
        Model = new Sequential(
            new Linear(inputs, 256, generator: generator), new ReLU(),
            new Linear(256, 128, generator: generator), new ReLU(),
            new Linear(128, 10, generator: generator));
        Optimizer = new SGD(Model.Parameters(), LearningRate, Momentum);
        Loader = new DataLoader(data.Train, BatchSize, shuffle: true, generator: generator) { ReuseBuffers = true };
        Batches = new EndlessBatches(Loader);
        Compiled = useGraph ? null : CompiledTrainingStep.Compile(Model, criterion, Optimizer);
    }

    /// <summary>The planned step mytorch train runs for this network; null when the recipe trains through the dynamic graph.</summary>
    public CompiledTrainingStep? Compiled { get; }

    /// <summary>The network.</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer.</summary>
    public SGD Optimizer { get; }

    /// <summary>The shuffled training batches, one epoch per enumeration.</summary>
    public DataLoader Loader { get; }

    /// <summary>Batches without end: a new shuffled epoch starts when one runs out.</summary>
    public EndlessBatches Batches { get; }

    /// <summary>One training step on the given batch; returns the loss.</summary>
    /// <exception cref="NonFiniteLossException">The loss is NaN or infinite.</exception>
    public double Step(Tensor inputs, Tensor targets)
    {
        if (Compiled is not null)
        {
            double planned = Compiled.Run(inputs, targets);
            if (!double.IsFinite(planned)) throw new NonFiniteLossException(0, 0, planned);
            return planned;
        }
        Optimizer.ZeroGrad();
        var outputs = Model.Forward(inputs);
        var loss = criterion.Forward(outputs, Evaluation.LossTargets(outputs, targets));
        double value = loss.Item();
        if (!double.IsFinite(value)) throw new NonFiniteLossException(0, 0, value);
        loss.Backward();
        Optimizer.Step();
        return value;
    }

    /// <summary>One training step on the next batch of <see cref="Batches"/>; returns the batch's row count.</summary>
    public int Step()
    {
        var (inputs, targets) = Batches.Next();
        Step(inputs, targets);
        return inputs.Shape[0];
    }

    /// <summary>Test loss and accuracy in evaluation mode, without recording gradients.</summary>
    public EvaluationResult Evaluate(TensorDataset test) => Evaluation.Evaluate(Model, criterion, test, null);
}

/// <summary>The batches of a <see cref="DataLoader"/> without end: each time an epoch runs out, the next starts.</summary>
public sealed class EndlessBatches(DataLoader loader) : IDisposable
{
    private IEnumerator<(Tensor Inputs, Tensor Targets)> batches = loader.GetEnumerator();

    /// <summary>Starts a new epoch now, so that its permutation is drawn before a measurement rather than inside it.</summary>
    public void Restart()
    {
        batches.Dispose();
        batches = loader.GetEnumerator();
    }

    /// <summary>The next batch.</summary>
    public (Tensor Inputs, Tensor Targets) Next()
    {
        if (!batches.MoveNext())
        {
            Restart();
            if (!batches.MoveNext()) throw new InvalidOperationException("The training set is empty.");
        }
        return batches.Current;
    }

    /// <summary>Ends the current epoch's enumeration.</summary>
    public void Dispose() => batches.Dispose();
}

/// <summary>Managed allocations and collections over a number of steps, counted from the GC's own counters.</summary>
/// <param name="Steps">Steps counted.</param>
/// <param name="BytesCurrentThread">Bytes allocated by the thread that ran the steps (GC.GetAllocatedBytesForCurrentThread).</param>
/// <param name="BytesAllThreads">Bytes allocated by every thread, kernel workers included (GC.GetTotalAllocatedBytes(true)).</param>
/// <param name="Gen0">Generation-0 collections (GC.CollectionCount(0)).</param>
/// <param name="Gen1">Generation-1 collections.</param>
/// <param name="Gen2">Generation-2 collections.</param>
public sealed record AllocationCount(int Steps, long BytesCurrentThread, long BytesAllThreads, int Gen0, int Gen1, int Gen2)
{
    /// <summary>Counts what <paramref name="steps"/> calls of <paramref name="step"/> allocate.</summary>
    public static AllocationCount Measure(int steps, Action<int> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long all = GC.GetTotalAllocatedBytes(precise: true);
        long thread = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++) step(i);
        long threadAfter = GC.GetAllocatedBytesForCurrentThread();
        long allAfter = GC.GetTotalAllocatedBytes(precise: true);
        return new AllocationCount(steps, threadAfter - thread, allAfter - all,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
    }

    /// <summary>The counts as JSON, with the per-step figures the target is about.</summary>
    public JsonObject ToJson() => new()
    {
        ["steps"] = Steps,
        ["bytes_per_step_current_thread"] = Math.Round((double)BytesCurrentThread / Steps, 1),
        ["bytes_per_step_all_threads"] = Math.Round((double)BytesAllThreads / Steps, 1),
        ["bytes_total_all_threads"] = BytesAllThreads,
        ["gen0_collections"] = Gen0,
        ["gen1_collections"] = Gen1,
        ["gen2_collections"] = Gen2,
    };
}

/// <summary>Training and inference throughput of the <see cref="MlpRecipe"/>.</summary>
public static class MlpBenchmark
{
    /// <summary>
    /// Steady-state training samples per second (after warm-up steps, in timed repetitions of a fixed number of
    /// steps, batches drawn by the shuffling loader as in mytorch train), allocations over a window of steps with
    /// and without the loader, and, when <see cref="BenchSettings.Epochs"/> is set, a fresh run of that many
    /// epochs with its test accuracy.
    /// </summary>
    public static JsonObject Train(BenchSettings settings, MlpData data, MlpRecipe recipe, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(progress);
        recipe.Model.Train();

        progress($"train: {settings.WarmupSteps} warm-up steps (and at least {settings.TrainWarmupSeconds} s), then {settings.Repetitions} x {settings.StepsPerRepetition} timed steps");
        var (rates, stepMilliseconds) = TimedSteps(settings, recipe);

        progress($"train: allocations over {settings.AllocationSteps} steps");
        // With the loader, as mytorch train runs: a new epoch starts first so its permutation is not counted.
        recipe.Batches.Restart();
        var withLoader = AllocationCount.Measure(settings.AllocationSteps, _ => recipe.Step());
        // The step alone (ZeroGrad .. Step) on batches fetched beforehand: what the library's hot path allocates.
        var prefetched = new (Tensor Inputs, Tensor Targets)[settings.AllocationSteps];
        for (int i = 0; i < prefetched.Length; i++)
        {
            var (inputs, targets) = recipe.Batches.Next(); // the loader reuses its buffers: keep copies
            prefetched[i] = (inputs.Clone(), targets.Clone());
        }
        var stepOnly = AllocationCount.Measure(prefetched.Length, i => recipe.Step(prefetched[i].Inputs, prefetched[i].Targets));

        var result = new JsonObject
        {
            ["dataset"] = data.Name,
            ["path"] = data.Directory,
            ["train_samples"] = data.Train.Count,
            ["test_samples"] = data.Test.Count,
            ["layers"] = "784-256-128-10 relu",
            ["batch_size"] = MlpRecipe.BatchSize,
            ["lr"] = MlpRecipe.LearningRate,
            ["momentum"] = MlpRecipe.Momentum,
            ["threads"] = settings.Threads,
            ["warmup_steps"] = settings.WarmupSteps,
            ["warmup_seconds"] = settings.TrainWarmupSeconds,
            ["steps_per_repetition"] = settings.StepsPerRepetition,
            ["samples_per_second"] = rates.ToJson(),
            ["step_ms_median"] = SampleSummary.Round(SampleSummary.Of(stepMilliseconds).Median),
            ["allocations"] = withLoader.ToJson(),
            ["allocations_step_only"] = stepOnly.ToJson(),
            ["graph"] = GraphStep(settings, data, progress),
        };
        if (settings.Epochs > 0) result["accuracy"] = Accuracy(settings, data, progress);
        return result;
    }

    /// <summary>
    /// Warms up, then times <see cref="BenchSettings.Repetitions"/> repetitions of
    /// <see cref="BenchSettings.StepsPerRepetition"/> steps (<see cref="Harness.Repetitions"/>): samples per second and
    /// milliseconds per step of each.
    /// </summary>
    private static (SampleSummary Rates, double[] StepMilliseconds) TimedSteps(BenchSettings settings, MlpRecipe recipe)
    {
        // At least WarmupSteps, and for at least TrainWarmupSeconds, so the runtime's tiered JIT has recompiled the
        // step's methods with full optimization before timing starts (as it has within seconds of any real run).
        Harness.WarmUp(settings.TrainWarmupSeconds, settings.WarmupSteps, () => recipe.Step());
        var stepMilliseconds = new double[settings.Repetitions];
        int repetition = 0;
        var rates = Harness.Repetitions(settings, () =>
        {
            long samples = 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < settings.StepsPerRepetition; i++) samples += recipe.Step();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            stepMilliseconds[repetition++] = seconds * 1000 / settings.StepsPerRepetition;
            return samples / seconds;
        });
        return (rates, stepMilliseconds);
    }

    /// <summary>
    /// The same recipe through the dynamic graph (ZeroGrad, Forward, loss, Backward, Step), as a custom training loop
    /// runs it: samples per second and the bytes each step allocates, beside the compiled step's.
    /// </summary>
    private static JsonObject GraphStep(BenchSettings settings, MlpData data, Action<string> progress)
    {
        progress("train: the same steps through the dynamic graph");
        var recipe = new MlpRecipe(data, settings.Seed, useGraph: true);
        recipe.Model.Train();
        var (rates, _) = TimedSteps(settings, recipe);
        var allocations = AllocationCount.Measure(settings.AllocationSteps, _ => recipe.Step());
        return new JsonObject
        {
            ["samples_per_second"] = rates.ToJson(),
            ["allocations"] = allocations.ToJson(),
        };
    }

    private static JsonObject Accuracy(BenchSettings settings, MlpData data, Action<string> progress)
    {
        var recipe = new MlpRecipe(data, settings.Seed);
        recipe.Model.Train();
        var epochRates = new JsonArray();
        double lastLoss = double.NaN;
        long start = Stopwatch.GetTimestamp();
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            double lossSum = 0;
            long samples = 0;
            long epochStart = Stopwatch.GetTimestamp();
            foreach (var (inputs, targets) in recipe.Loader)
            {
                lossSum += recipe.Step(inputs, targets) * inputs.Shape[0];
                samples += inputs.Shape[0];
            }
            double rate = samples / Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
            epochRates.Add(SampleSummary.Round(rate));
            lastLoss = lossSum / Math.Max(samples, 1);
            progress($"train: epoch {epoch}/{settings.Epochs} loss {lastLoss:F4}, {rate:F0} samples/s");
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var test = recipe.Evaluate(data.Test);
        return new JsonObject
        {
            ["epochs"] = settings.Epochs,
            ["seconds"] = Math.Round(seconds, 2),
            ["epoch_samples_per_second"] = epochRates,
            ["final_train_loss"] = Math.Round(lastLoss, 4),
            ["test_loss"] = Math.Round(test.Loss, 4),
            ["test_accuracy"] = Math.Round(test.Accuracy, 4),
        };
    }

    /// <summary>
    /// Forward-only samples per second in evaluation mode, at batch 1 and 256, with the bytes each call allocates: through
    /// <see cref="CompiledInference"/> with frozen weights (path "frozen", what <c>mytorch eval</c> and <c>predict</c>
    /// run), through <see cref="CompiledInference"/> reading the weights at every run (path "compiled", as a model
    /// still training is evaluated) and through <see cref="Module.Forward"/> under <see cref="Autograd.NoGrad"/> (path
    /// "module"). All three give the same numbers. Each row also gives the flops of one sample's forward pass (two per
    /// multiply-add of the Linear layers), which turn samples/s into GFLOP/s.
    /// </summary>
    public static JsonArray Inference(BenchSettings settings, MlpData data, MlpRecipe recipe, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(progress);
        var results = new JsonArray();
        var model = recipe.Model;
        var compiled = CompiledInference.Compile(model);
        var frozen = CompiledInference.Compile(model).FreezeWeights();
        double flopsPerSample = model.NamedModules().Select(m => m.Module).OfType<Linear>().Sum(l => 2.0 * l.InFeatures * l.OutFeatures);
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            foreach (int batch in new[] { 1, 256 })
            {
                var inputs = data.Test.Inputs.Narrow(0, 0, Math.Min(batch, data.Test.Count)).Clone();
                foreach (var (path, forward) in new (string, Func<Tensor>)[] { ("frozen", () => frozen.Run(inputs)), ("compiled", () => compiled.Run(inputs)),  ("module", () => model.Forward(inputs)) })
                {
                    progress($"inference: batch {batch}, {path}");
                    int rows = inputs.Shape[0];
                    var rates = Harness.Throughput(settings, rows, () => forward());
                    const int calls = 100;
                    var allocations = AllocationCount.Measure(calls, _ => forward());
                    results.Add(new JsonObject
                    {
                        ["batch"] = rows,
                        ["path"] = path,
                        ["threads"] = settings.Threads,
                        ["samples_per_second"] = rates.ToJson(),
                        ["latency_us_median"] = SampleSummary.Round(rows / rates.Median * 1e6),
                        ["flops_per_sample"] = flopsPerSample,
                        ["bytes_per_call_all_threads"] = Math.Round((double)allocations.BytesAllThreads / calls, 1),
                    });
                }
            }
        }
        finally
        {
            model.Train();
        }
        return results;
    }
}

