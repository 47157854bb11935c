using System.Text.Json.Nodes;
using MyTorch.Cli.Training;
using MyTorch.Compiled;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// The convolutional presets of <c>mytorch train --model</c> (<c>lenet5</c> and <c>cnn</c>) on 28x28 single-channel inputs:
/// training samples per second (batch 128, SGD momentum 0.9, cross-entropy, <see cref="CompiledTrainingStep"/>), inference
/// samples per second at batch 1 and 256 (<see cref="CompiledInference"/>), the bytes each allocates per call, and the
/// share of the FMA ceiling the training step reaches. <c>bench/pytorch_conv_reference.py</c> measures the same in PyTorch.
/// </summary>
public static class ConvBenchmark
{
    /// <summary>The presets measured.</summary>
    public static IReadOnlyList<string> Models { get; } = ["lenet5", "cnn"];

    private const int BatchSize = 128, Classes = 10, Features = 784;

    /// <summary>Measures every preset.</summary>
    public static JsonObject Run(BenchSettings settings, double? ceilingGflops, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var result = new JsonObject { ["batch_size"] = BatchSize, ["input"] = "(N, 784) as (N, 1, 28, 28)" };
        foreach (var name in Models)
        {
            var data = new Generator(settings.Seed + 7);
            var batches = Enumerable.Range(0, 8).Select(b => (X: Tensor.Normal([BatchSize, Features], 0, 1, data),
                Y: Tensor.FromArray(Enumerable.Range(0, BatchSize).Select(i => (long)((i * 7 + b) % Classes)).ToArray()))).ToArray();
            var model = ModelSpec.Parse(name).Build(Features, Classes, new Generator(settings.Seed));
            double flops = TrainingFlops(model);
            var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01, momentum: 0.9));
            progress($"conv: {name} training");
            int t = 0;
            var train = Harness.Throughput(settings, BatchSize, () => { var (x, y) = batches[t++ % batches.Length]; step.Run(x, y); });
            var trainAllocations = AllocationCount.Measure(settings.AllocationSteps, i => step.Run(batches[i % batches.Length].X, batches[i % batches.Length].Y));
            var entry = new JsonObject
            {
                ["parameters"] = model.ParameterCount(),
                ["training_flops_per_sample"] = flops,
                ["not_planned_reason"] = step.NotPlannedReason,
                ["train_samples_per_second"] = train.ToJson(),
                ["train_gflops"] = Math.Round(train.Median * flops / 1e9, 2),
                ["train_allocations"] = trainAllocations.ToJson(),
            };
            if (ceilingGflops is > 0) entry["train_share_of_ceiling"] = Math.Round(train.Median * flops / 1e9 / ceilingGflops.Value, 3);
            model.Eval();
            var inference = CompiledInference.Compile(model);
            foreach (int batch in new[] { 1, 256 })
            {
                progress($"conv: {name} inference, batch {batch}");
                var x = Tensor.Normal([batch, Features], 0, 1, data);
                var rate = Harness.Throughput(settings, batch, () => inference.Run(x));
                var allocations = AllocationCount.Measure(settings.AllocationSteps, _ => inference.Run(x));
                entry[$"inference_batch_{batch}_samples_per_second"] = rate.ToJson();
                entry[$"inference_batch_{batch}_allocations"] = allocations.ToJson();
            }
            result[name] = entry;
        }
        return result;
    }

    /// <summary>
    /// Multiply-adds of one sample's forward pass through the convolutions and linear layers, times 2 flops, times 3 for
    /// training (the forward, the input gradient and the weight gradient each cost about one forward).
    /// </summary>
    private static double TrainingFlops(Sequential model)
    {
        double macs = 0;
        var shape = new[] { Features };
        using (Autograd.NoGrad())
        {
            var x = Tensor.Zeros([1, Features]);
            for (int i = 0; i < model.Count; i++)
            {
                var layer = model[i];
                var y = layer.Eval().Forward(x);
                if (layer is Conv2d conv)
                    macs += (double)y.Count * conv.Weight.Count / conv.Weight.Shape[0];
                else if (layer is Linear linear)
                    macs += linear.W.Count;
                x = y;
            }
            model.Train();
        }
        return 2 * 3 * macs;
    }
}
