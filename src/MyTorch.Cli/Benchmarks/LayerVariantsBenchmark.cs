using System.Text.Json.Nodes;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// The recipe's network with one kind of layer added — BatchNorm1d after each hidden Linear, Dropout(0.2) after each
/// hidden activation — and seed 004's MLP of the same sizes through <see cref="Seed.MLP.TrainStep"/>: samples per second
/// of each, timed alternately with the plain network's compiled step (their paired ratio is the cost of the layer), and
/// the bytes each step allocates.
/// </summary>
public static class LayerVariantsBenchmark
{
    /// <summary>The variants measured, by the names the report uses.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["batchnorm", "dropout", "seed-mlp"];

    /// <summary>Measures every variant against the plain network on the same batches.</summary>
    public static JsonObject Run(BenchSettings settings, MlpData data, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(progress);
        var batches = Batches(data, settings.Seed);
        var plain = Stepper("plain", data, settings.Seed);
        var result = new JsonObject { ["layers"] = "784-256-128-10 relu", ["batch_size"] = MlpRecipe.BatchSize };
        foreach (var variant in Variants)
        {
            progress($"layers: {variant} against the plain network, alternately");
            var step = Stepper(variant, data, settings.Seed);
            int a = 0, b = 0;
            var (ours, theirs, ratio) = Harness.PairedThroughput(settings, MlpRecipe.BatchSize,
                () => { var (x, y) = batches[a++ % batches.Length]; step(x, y); },
                () => { var (x, y) = batches[b++ % batches.Length]; plain(x, y); });
            var allocations = AllocationCount.Measure(settings.AllocationSteps, i => step(batches[i % batches.Length].Inputs, batches[i % batches.Length].Targets));
            result[variant] = new JsonObject
            {
                ["samples_per_second"] = ours.ToJson(),
                ["plain_samples_per_second"] = theirs.ToJson(),
                ["ratio_to_plain"] = ratio.ToJson(),
                ["allocations"] = allocations.ToJson(),
            };
        }
        return result;
    }

    /// <summary>Full batches of the training set in a seeded order, made once (the loader is not what is measured).</summary>
    private static (Tensor Inputs, Tensor Targets)[] Batches(MlpData data, ulong seed)
    {
        var loader = new DataLoader(data.Train, MlpRecipe.BatchSize, shuffle: true, generator: new Generator(seed), dropLast: true);
        return [.. loader.Select(batch => (batch.Inputs.Clone(), batch.Targets.Clone()))];
    }

    /// <summary>One training step of the variant's network on a batch.</summary>
    private static Action<Tensor, Tensor> Stepper(string variant, MlpData data, ulong seed)
    {
        var generator = new Generator(seed);
        int inputs = data.Train.Inputs.Shape[1];
        if (variant == "seed-mlp")
        {
            var mlp = new Seed.MLP(inputs, 10, [256, 128], [new Seed.ReLU(), new Seed.ReLU(), new Seed.Identity()], null, null,
                new Seed.SoftmaxCrossEntropy(), MlpRecipe.LearningRate, MlpRecipe.Momentum);
            return (x, y) => mlp.TrainStep(x, y);
        }
        Module Hidden(int width, Module activation) => variant switch
        {
            "batchnorm" => new Sequential(new BatchNorm1d(width), activation),
            "dropout" => new Sequential(activation, new Dropout(0.2, new Generator(seed + 1))),
            _ => activation,
        };
        var model = new Sequential(
            new Linear(inputs, 256, generator: generator), Hidden(256, new ReLU()),
            new Linear(256, 128, generator: generator), Hidden(128, new ReLU()),
            new Linear(128, 10, generator: generator));
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), MlpRecipe.LearningRate, MlpRecipe.Momentum));
        return (x, y) => step.Run(x, y);
    }
}
