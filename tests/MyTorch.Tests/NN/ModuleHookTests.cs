using MyTorch.Compiled;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// Module hooks behave as PyTorch's: forward pre-hooks and forward hooks run around every <see cref="Module.Call"/> and may
/// replace the input or output; full backward hooks see dL/d(input) and dL/d(output) and may replace the former; every
/// hook is removed by its handle; a model with hooks trains on the graph, not a replay that would skip them.
/// </summary>
public class ModuleHookTests
{
    private static Tensor X(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64);

    private static Sequential Net(ulong seed)
    {
        var generator = new Generator(seed);
        return new Sequential(new Linear(3, 4, dtype: DType.Float64, generator: generator), new Tanh(),
            new Linear(4, 2, dtype: DType.Float64, generator: generator));
    }

    [Fact]
    public void ForwardHooks_RunAroundCall_AndMayReplaceInputAndOutput()
    {
        var layer = new Tanh();
        var log = new List<string>();
        using var pre = layer.RegisterForwardPreHook((m, x) => { log.Add("pre"); return x * 2; });
        using var post = layer.RegisterForwardHook((m, x, y) => { log.Add("post"); Assert.Same(layer, m); return y + 1; });
        var input = Tensor.FromArray(new double[] { 0.25, -0.5 });
        var output = layer.Call(input);
        Assert.Equal(["pre", "post"], log);
        Assert.Equal(new[] { Math.Tanh(0.5) + 1, Math.Tanh(-1.0) + 1 }, output.ToArray<double>());
        // Forward itself runs no hooks, as PyTorch's forward.
        Assert.Equal(new[] { Math.Tanh(0.25), Math.Tanh(-0.5) }, layer.Forward(input).ToArray<double>());
    }

    [Fact]
    public void ForwardHook_SeesTheInputForwardReceived_AfterThePreHooks()
    {
        var layer = new Identity();
        Tensor? seen = null;
        using var pre = layer.RegisterForwardPreHook((m, x) => x + 10);
        using var post = layer.RegisterForwardHook((m, x, y) => { seen = x; return null; });
        layer.Call(Tensor.FromArray(new double[] { 1 }));
        Assert.Equal(11, seen!.Item());
    }

    [Fact]
    public void Handles_RemoveTheirHook_Once()
    {
        var layer = new Identity();
        int calls = 0;
        var first = layer.RegisterForwardHook((m, x, y) => { calls++; return null; });
        var second = layer.RegisterForwardHook((m, x, y) => { calls += 10; return null; });
        layer.Call(Tensor.Zeros([1]));
        first.Remove();
        first.Remove();
        layer.Call(Tensor.Zeros([1]));
        second.Dispose();
        layer.Call(Tensor.Zeros([1]));
        Assert.Equal(21, calls);
    }

    [Fact]
    public void ContainersCallTheirChildrenWithHooks()
    {
        var net = Net(1);
        var shapes = new List<string>();
        foreach (var (name, module) in net.NamedModules())
            module.RegisterForwardHook((m, x, y) => { shapes.Add($"{name}:{Shapes.Format(y.Shape)}"); return null; });
        net.Forward(X(2, 5, 3));
        Assert.Equal(["0:(5, 4)", "1:(5, 4)", "2:(5, 2)"], shapes);
        shapes.Clear();
        net.Call(X(2, 5, 3));
        Assert.Equal(["0:(5, 4)", "1:(5, 4)", "2:(5, 2)", ":(5, 2)"], shapes);
    }

    [Fact]
    public void FullBackwardHook_SeesTheGradientsOfTheModulesInputAndOutput()
    {
        var net = Net(3);
        Tensor? gradInput = null, gradOutput = null;
        using var handle = net[2].RegisterFullBackwardHook((m, gi, go) => { gradInput = gi; gradOutput = go; return null; });

        // The same network without hooks, with the intermediate tensors kept, gives the expected gradients.
        var reference = Net(3);
        var x = X(4, 5, 3);
        var hidden = reference[1].Forward(reference[0].Forward(x)).RetainGrad();
        var output = reference[2].Forward(hidden).RetainGrad();
        var weights = X(5, 5, 2);
        (output * weights).Sum().Backward();

        (net.Call(x) * weights).Sum().Backward();
        Assert.Equal(output.Grad!.ToArray<double>(), gradOutput!.ToArray<double>());
        Assert.Equal(hidden.Grad!.ToArray<double>(), gradInput!.ToArray<double>());
        Assert.Equal(reference[0].Parameters().First().Grad!.ToArray<double>(), net[0].Parameters().First().Grad!.ToArray<double>());
    }

    [Fact]
    public void FullBackwardHook_MayReplaceTheInputGradient()
    {
        var net = Net(6);
        var reference = Net(6);
        var x = X(7, 4, 3);
        reference.Call(x).Sum().Backward();
        using var handle = net[1].RegisterFullBackwardHook((m, gi, go) => gi! * 2);
        net.Call(x).Sum().Backward();
        var expected = reference[0].Parameters().Select(p => p.Grad!.ToArray<double>().Select(v => v * 2).ToArray()).ToArray();
        var actual = net[0].Parameters().Select(p => p.Grad!.ToArray<double>()).ToArray();
        Assert.Equal(expected, actual);
        // Layers after the hooked one are unchanged.
        Assert.Equal(reference[2].Parameters().First().Grad!.ToArray<double>(), net[2].Parameters().First().Grad!.ToArray<double>());
    }

    [Fact]
    public void FullBackwardHook_OnALayerWhoseInputNeedsNoGradient_GetsNullForIt()
    {
        var net = Net(8);
        Tensor? gradOutput = null;
        bool called = false;
        using var handle = net[0].RegisterFullBackwardHook((m, gi, go) => { called = true; Assert.Null(gi); gradOutput = go; return null; });
        net.Call(X(9, 2, 3)).Sum().Backward();
        Assert.True(called);
        Assert.Equal([2, 4], gradOutput!.Shape.ToArray());
    }

    [Fact]
    public void FullBackwardHook_ReturningAWrongShape_IsAnError()
    {
        var net = Net(10);
        using var handle = net[1].RegisterFullBackwardHook((m, gi, go) => Tensor.Zeros([1], DType.Float64));
        var error = Assert.Throws<TensorShapeException>(() => net.Call(X(11, 2, 3)).Sum().Backward());
        Assert.Contains("Tanh: a full backward hook returned a gradient of shape (1,) for an input of shape (2, 4)", error.Message);
    }

    [Fact]
    public void AModelWithHooks_TrainsOnTheGraph_AndReplaysAgainOnceTheyAreRemoved()
    {
        var model = Net(12);
        var reference = Net(12);
        var step = CompiledTrainingStep.Compile(model, new MSELoss(), new SGD(model.Parameters(), 0.1));
        var referenceOptimizer = new SGD(reference.Parameters(), 0.1);
        int calls = 0;
        var handle = model[1].RegisterForwardHook((m, x, y) => { calls++; return null; });
        Assert.Contains("module '1' (Tanh) has hooks", step.NotPlannedReason);
        for (int i = 0; i < 6; i++)
        {
            if (i == 3) handle.Remove();
            var x = X(20 + (ulong)i, 4, 3);
            var target = X(40 + (ulong)i, 4, 2);
            double loss = step.Run(x, target);
            referenceOptimizer.ZeroGrad();
            var expected = new MSELoss().Forward(reference.Forward(x), target);
            expected.Backward();
            referenceOptimizer.Step();
            Assert.Equal(expected.Item(), loss);
        }
        Assert.Equal(3, calls);
        Assert.Null(step.NotPlannedReason);
        Assert.Equal(reference.Parameters().Select(p => p.ToArray<double>()), model.Parameters().Select(p => p.ToArray<double>()));
    }

    [Fact]
    public void CompiledInference_RunsTheHooks()
    {
        var model = Net(13);
        int calls = 0;
        using var handle = model.RegisterForwardHook((m, x, y) => { calls++; return null; });
        var inference = CompiledInference.Compile(model);
        inference.Run(X(14, 2, 3));
        inference.Run(X(15, 2, 3));
        Assert.Equal(2, calls);
        Assert.Contains("(the model) (Sequential) has hooks", inference.NotPlannedReason);
    }
}
