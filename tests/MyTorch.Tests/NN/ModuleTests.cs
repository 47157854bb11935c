using MyTorch;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

public class ModuleTests
{
    private static Sequential Network() => new(
        new Linear(3, 4, generator: new Generator(1)),
        new BatchNorm1d(4),
        new ReLU(),
        new Linear(4, 2, generator: new Generator(2)));

    [Fact]
    public void ParametersAndBuffersUsePyTorchDottedNamesInRegistrationOrder()
    {
        var net = Network();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"], net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["1.running_mean", "1.running_var"], net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(
            ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight", "3.bias"],
            net.StateDict().Keys);
        Assert.Equal(3 * 4 + 4 + 4 + 4 + 4 * 2 + 2, net.ParameterCount());
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void StateDictRoundTripsIntoAFreshModule()
    {
        var source = Network();
        source.Forward(Tensor.Randn([5, 3], new Generator(3)));
        var target = Network();
        target.LoadStateDict(source.StateDict().Snapshot());
        foreach (var ((name, a), (_, b)) in source.StateDict().Zip(target.StateDict()))
            Assert.True(a.ToArray().SequenceEqual(b.ToArray()), name);
    }

    [Fact]
    public void StrictLoadingReportsEveryProblemByKeyAndChangesNothing()
    {
        var net = Network();
        var before = net.StateDict().Snapshot();
        var dict = net.StateDict().Snapshot();
        dict.Remove("3.bias");
        dict["0.weight"] = Tensor.Zeros([4, 3]);
        dict["extra.weight"] = Tensor.Zeros([1]);
        var error = Assert.Throws<ArgumentException>(() => net.LoadStateDict(dict));
        Assert.Contains("missing key '3.bias'", error.Message, StringComparison.Ordinal);
        Assert.Contains("key '0.weight': shape (4, 3) in the state dict, (3, 4) in the model", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'extra.weight'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before["0.weight"].ToArray(), net.StateDict()["0.weight"].ToArray());
    }

    [Fact]
    public void NonStrictLoadingSkipsMissingAndUnexpectedKeysButNotWrongShapes()
    {
        var net = Network();
        var dict = new StateDict { ["0.bias"] = Tensor.Full([1, 4], 7), ["unknown"] = Tensor.Zeros([1]) };
        net.LoadStateDict(dict, strict: false);
        Assert.Equal(new float[] { 7, 7, 7, 7 }, net.StateDict()["0.bias"].ToArray());
        dict["0.bias"] = Tensor.Zeros([4]);
        Assert.Throws<ArgumentException>(() => net.LoadStateDict(dict, strict: false));
    }

    [Fact]
    public void TrainAndEvalSwitchTheWholeTree()
    {
        var net = new Sequential(new Residual(new Sequential(new Linear(2, 2), new Dropout(0.5))));
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.IsTraining));
        net.Train();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.IsTraining));
        Assert.Equal(["", "0", "0.inner", "0.inner.0", "0.inner.1"], net.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void ZeroGradClearsEveryParameter()
    {
        var net = Network();
        net.Forward(Tensor.Randn([4, 3], new Generator(1))).Sum().Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        net.ZeroGrad(setToZero: true);
        Assert.All(net.Parameters(), p => Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0, v)));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ToConvertsInPlaceKeepingTensorIdentity()
    {
        var linear = new Linear(2, 3);
        var weight = linear.W;
        linear.To(DType.Float64);
        Assert.Same(weight, linear.W);
        Assert.Equal(DType.Float64, linear.W.DType);
        Assert.Equal(DType.Float64, linear.Forward(Tensor.Ones([1, 2], DType.Float64)).DType);
    }

    [Fact]
    public void ToStringShowsTheModuleTree()
    {
        var text = new Sequential(new Linear(3, 4), new ReLU()).ToString();
        Assert.Contains("(0): Linear(in_features=3, out_features=4, bias=True)", text, StringComparison.Ordinal);
        Assert.Contains("(1): ReLU()", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ResidualAddsTheSkipConnection()
    {
        var inner = new Linear(3, 3, generator: new Generator(4));
        var x = Tensor.Randn([2, 3], new Generator(5));
        var expected = (x + inner.Forward(x)).ToArray();
        Assert.Equal(expected, new Residual(inner).Forward(x).ToArray());
        var error = Assert.Throws<TensorShapeException>(() => new Residual(new Linear(3, 2)).Forward(x));
        Assert.Contains("(2, 3)", error.Message, StringComparison.Ordinal);
    }
}
