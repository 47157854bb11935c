using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Ops;

/// <summary>
/// Every element-wise op declared in one file (<see cref="OpRegistry"/>): its fused backward gives the bits of its
/// derivative written as ops (the createGraph path and the seed API's Derivative use that form), empty tensors pass,
/// and it brings its notation and gradient-check cases.
/// </summary>
public class ElementwiseOpTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var op in OpRegistry.All)
            if (op.Elementwise is not null) data.Add(op.Name);
        return data;
    }

    private static OpDefinition Op(string name) => OpRegistry.Find(name) ?? throw new ArgumentException(name);

    private static readonly double[] Edges = [-90, -30, -20.5, -3, -1, -0.25, -1e-7, -1e-300, -0.0, 0, 1e-300, 1e-7, 0.25, 1, 3, 19.5, 20.5, 30, 90];

    [Theory]
    [MemberData(nameof(Names))]
    public void FusedBackward_IsTheDeclaredDerivativeTimesTheGradient_BitForBit(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var generator = new Generator(7);
            var random = Tensor.Normal([64], 0, 3, generator, DType.Float64).ToArray<double>();
            var x = Tensor.FromArray([.. Edges, .. random]).To(dtype).RequireGrad();
            var g = Tensor.Normal([x.Count], 0, 2, generator, dtype);
            var y = Op(name).Elementwise!(x);
            var fused = Autograd.Grad(y, x, g)!;                           // no graph: the fused kernel
            var asOps = Autograd.Grad(Op(name).Elementwise!(x), x, g, createGraph: true)!; // the declared form, as ops
            Assert.Equal(fused.ToArray<double>(), asOps.ToArray<double>());
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TheDeclaredDerivative_IsAutogradsGradientOfOnes(string name)
    {
        var x = Tensor.Normal([5, 4], 0, 2, new Generator(3), DType.Float64).RequireGrad();
        var y = Op(name).Elementwise!(x);
        var gradient = Autograd.Grad(y, x, Tensor.OnesLike(y))!;
        var derivative = Op(name).DeclaredDerivative!(x.Detach(), y.Detach());
        Assert.Equal(gradient.ToArray<double>(), derivative.ToArray<double>());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EmptyTensors_GoForwardAndBackward(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.Zeros([0, 3], dtype).RequireGrad();
            var y = Op(name).Elementwise!(x);
            Assert.Equal([0, 3], y.Shape.ToArray());
            Assert.Equal([0, 3], Autograd.Grad(y, x, Tensor.Zeros([0, 3], dtype))!.Shape.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EachOp_BringsItsNotationAndGradientChecks(string name)
    {
        var op = Op(name);
        Assert.Single(op.Notation.Local);
        Assert.Same(op.Notation, MyTorch.Visualization.OpNotation.For(name, 1));
        Assert.NotEmpty(op.GradCheckCases);
        Assert.Contains(MyTorch.Diagnostics.GradCheckSuite.Cases, c => c.Name == name);
        foreach (var c in op.GradCheckCases)
            Assert.True(GradCheck.Check(c.Function, c.Inputs(), c.Step).Passed, $"{name} {c.Variant}");
    }

    [Fact]
    public void IntegerInputs_AreAClearError()
    {
        foreach (var op in OpRegistry.All.Where(o => o.Elementwise is not null))
        {
            var error = Assert.Throws<TensorShapeException>(() => op.Elementwise!(Tensor.FromArray(new long[] { 1, 2 })));
            Assert.Contains(op.Name, error.Message, StringComparison.Ordinal);
        }
    }
}
