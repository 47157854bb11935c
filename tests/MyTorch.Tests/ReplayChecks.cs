using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests;

/// <summary>
/// The properties every layer's replay tests check: a model trains on <see cref="CompiledTrainingStep"/> bit for bit as
/// on the dynamic graph, a replayed step allocates nothing, and <see cref="CompiledInference"/> is the evaluation forward. Classification batches of random inputs, cross-entropy and
/// SGD with momentum.
/// </summary>
internal static class ReplayChecks
{
    /// <summary>
    /// Trains two copies that <paramref name="model"/> makes, one on the graph and one on the compiled step, on batches of
    /// <paramref name="batchRows"/> rows each (a change of size records the step again), and asserts equal losses at every
    /// step and equal parameters at the end.
    /// </summary>
    public static void TrainsLikeTheGraph(Func<DType, Module> model, DType dtype, int[] inputShape, int classes, int[] batchRows,
        ulong seed = 5, double inputScale = 1)
    {
        var graphModel = model(dtype);
        var plannedModel = model(dtype);
        var criterion = new CrossEntropyLoss();
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.05, momentum: 0.9);
        var step = CompiledTrainingStep.Compile(plannedModel, criterion, new SGD(plannedModel.Parameters(), 0.05, momentum: 0.9));
        var data = new Generator(seed);
        foreach (int rows in batchRows)
        {
            var x = Tensor.Normal([rows, .. inputShape], 0, inputScale, data, dtype);
            var y = Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(classes)).ToArray());
            graphOptimizer.ZeroGrad();
            var graphOutputs = graphModel.Forward(x);
            var loss = criterion.Forward(graphOutputs, y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();

            Assert.Equal(expected, step.Run(x, y));
            Assert.Null(step.NotPlannedReason);
            Assert.Equal(graphOutputs.ToArray<double>(), step.Outputs!.ToArray<double>());
        }
        // Parameters and buffers (running statistics) alike.
        var want = graphModel.StateDict();
        var got = plannedModel.StateDict();
        foreach (var (name, tensor) in want)
            Assert.True(tensor.ToArray<double>().SequenceEqual(got[name].ToArray<double>()), $"{name} differs");
    }

    /// <summary>
    /// <see cref="CompiledInference"/> gives the evaluation forward's bits for batches of <paramref name="batchRows"/> rows
    /// (the model's training flag is left as it was), and a replayed run into a given output allocates nothing.
    /// </summary>
    public static void InfersLikeTheEvaluationForward(Module model, DType dtype, int[] inputShape, int classes, int[] batchRows, ulong seed = 3)
    {
        var inference = CompiledInference.Compile(model);
        var data = new Generator(seed);
        foreach (int rows in batchRows)
        {
            var x = Tensor.Normal([rows, .. inputShape], 0, 1, data, dtype);
            model.Eval();
            Tensor expected;
            using (Autograd.NoGrad()) expected = model.Forward(x);
            model.Train();
            Assert.Equal(expected.ToArray<double>(), inference.Run(x).ToArray<double>());
        }
        var batch = Tensor.Normal([8, .. inputShape], 0, 1, data, dtype);
        var into = Tensor.Zeros([8, classes], dtype);
        for (int i = 0; i < 10; i++) inference.Run(batch, into);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 20; i++) inference.Run(batch, into); }));
        Assert.Null(inference.NotPlannedReason);
    }

    /// <summary>After warming up (with the kernel threads busy for a few steps too), replayed steps allocate 0 bytes.</summary>
    public static void SteadyStateAllocatesNothing(Module model, int[] inputShape, int classes, int rows = 16, ulong seed = 2)
    {
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01, momentum: 0.9));
        var data = new Generator(seed);
        var batches = Enumerable.Range(0, 4).Select(b => (X: Tensor.Normal([rows, .. inputShape], 0, 1, data),
            Y: Tensor.FromArray(Enumerable.Range(0, rows).Select(i => (long)((i + b) % classes)).ToArray()))).ToArray();
        for (int i = 0; i < 30; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        using (WorkerPool.HoldBusy())
        {
            for (int i = 0; i < 3; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        }
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 50; i++) step.Run(batches[i % 4].X, batches[i % 4].Y); }));
        Assert.Null(step.NotPlannedReason);
    }
}
