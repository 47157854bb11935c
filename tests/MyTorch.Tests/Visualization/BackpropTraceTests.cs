using MyTorch.Visualization;
using Xunit;

namespace MyTorch.Tests.Visualization;

/// <summary>Step-by-step traces: every node's value, local derivative and gradient, and the chain-rule terms.</summary>
public class BackpropTraceTests
{
    private static Tensor Named(Tensor t, string name)
    {
        t.Name = name;
        return t;
    }

    /// <summary>Seed 002's 4-4-3-3 network in the seed's column form: z = W h + b, tanh hidden layers, identity output, L = 1/2 sum (z3 - y)^2.</summary>
    private static (Tensor Loss, Tensor[] W, Tensor[] B, Tensor[] Z) Seed002()
    {
        int[] sizes = [4, 4, 3, 3];
        var h = Named(Tensor.FromArray(new double[] { 1, 0, 1, 0 }, [4, 1]), "x");
        var y = Named(Tensor.FromArray(new double[] { 0, 1, 0 }, [3, 1]), "y");
        var w = new Tensor[3];
        var b = new Tensor[3];
        var z = new Tensor[3];
        for (int l = 0; l < 3; l++)
        {
            w[l] = Named(Tensor.Full([sizes[l + 1], sizes[l]], 0.1, DType.Float64, requiresGrad: true), $"W{l + 1}");
            b[l] = Named(Tensor.Full([sizes[l + 1], 1], 0.1, DType.Float64, requiresGrad: true), $"b{l + 1}");
            z[l] = Named(w[l].MatMul(h) + b[l], $"z{l + 1}");
            h = l < 2 ? Named(z[l].Tanh(), $"h{l + 1}") : z[l];
        }
        return (Named(0.5 * (z[2] - y).Pow(2).Sum(), "L"), w, b, z);
    }

    [Fact]
    public void Seed002TraceShowsTheSeedsNumbers()
    {
        var (loss, w, _, z) = Seed002();
        var trace = BackpropTrace.Record(loss);
        var text = trace.ToString();
        // z1 = 0.3, h1 = 0.2913, z2 = 0.2165, z3 = 0.16396 (the seed's 0.16936 has two digits swapped), L = 0.376.
        foreach (var number in new[] { "0.3", "0.2913", "0.2165", "0.16396", "0.376" })
            Assert.Contains(number, text, StringComparison.Ordinal);
        foreach (var label in new[] { "W1", "b1", "z1", "h1", "W2", "z2", "h2", "W3", "z3", "L" })
            Assert.Contains(trace.Steps, s => s.Label == label);

        var table = trace.ToTable();
        Assert.Equal(["node", "computed as", "value", "local derivative", "gradient dL/d(node)", "chain rule: where the gradient came from"], table.Headers);
        var h1Row = Assert.Single(table.Rows, r => r[0] == "h1");
        Assert.Equal("tanh(z1)", h1Row[1]);
        Assert.Equal("[0.29131, 0.29131, 0.29131, 0.29131]", h1Row[2]);
        Assert.Equal("dh1/dz1 = 1 - h1^2 = 0.91514", h1Row[3]);
        // dL/dh1 came back through W2 @ h1: W2^T times dL/d(W2 @ h1).
        Assert.StartsWith("W2^T @ dL/dmatmul#2 = ", h1Row[5], StringComparison.Ordinal);
        var z3Row = Assert.Single(table.Rows, r => r[0] == "z3");
        Assert.Equal("[0.16396, -0.83604, 0.16396]", z3Row[4]);
        var lossRow = table.Rows[^1];
        Assert.Equal("L", lossRow[0]);
        Assert.Equal("0.37636", lossRow[2]);
        Assert.Equal("start: dL/dL = 1", lossRow[5]);

        // The trace ran an ordinary backward pass: the leaves' gradients are autograd's, and match the trace's.
        for (int l = 0; l < 3; l++)
        {
            Assert.Equal(w[l].Grad!.ToArray<double>(), trace.GradientOf(w[l])!.ToArray<double>());
            Assert.NotNull(trace.GradientOf(z[l]));
        }
        Assert.Equal(-0.83604, trace.GradientOf(z[2])!.At(1, 0), 5);
    }

    [Fact]
    public void StepsAreInGraphOrderWithInputsFirst()
    {
        var (loss, _, _, _) = Seed002();
        var trace = BackpropTrace.Record(loss);
        var order = trace.Steps.Where(s => s.Kind != GraphTensorKind.Constant).Select(s => s.Label).ToList();
        Assert.Equal(["W1", "x", "matmul#1", "b1", "z1", "h1", "W2", "matmul#2", "b2", "z2", "h2", "W3", "matmul#3", "b3", "z3", "y"], order.Take(16));
        Assert.Equal("L", order[^1]);
        foreach (var step in trace.Steps)
            Assert.All(step.Inputs, i => Assert.True(i < step.Index));
    }

    [Fact]
    public void ATensorUsedTwiceGetsTheSumOfItsChainRuleTerms()
    {
        var x = Named(Tensor.Scalar(3, DType.Float64, requiresGrad: true), "x");
        var y = Named(x * x + x, "y");
        var trace = BackpropTrace.Record(y);
        var step = trace.Find(x)!;
        Assert.Equal(7, step.Gradient!.Item());
        Assert.Equal(3, step.Contributions.Count);
        Assert.Equal(7, step.Contributions.Sum(c => c.Value.Item()));
        var row = Assert.Single(trace.ToTable().Rows, r => r[0] == "x");
        Assert.Contains("sum of the 3 terms", row[5], StringComparison.Ordinal);
        Assert.Contains("dy/dmul#1 * dmul#1/dx = 1 * 3 = 3", row[5], StringComparison.Ordinal);
        Assert.Contains("dy/dy * dy/dx = 1 * 1 = 1", row[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Seed003SigmoidChainLocalDerivativesAreTheSeeds()
    {
        double X = 1.5, W1 = 0.4, W2 = -0.9, Y = 1;
        var x = Named(Tensor.Scalar(X, DType.Float64), "x");
        var w1 = Named(Tensor.Scalar(W1, DType.Float64, requiresGrad: true), "w1");
        var w2 = Named(Tensor.Scalar(W2, DType.Float64, requiresGrad: true), "w2");
        var a1 = Named(Named(x * w1, "z1").Sigmoid(), "a1");
        var z2 = Named(a1 * w2, "z2");
        var a2 = Named(z2.Sigmoid(), "a2");
        var loss = Named(0.5 * (a2 - Y).Pow(2), "Loss");
        var trace = BackpropTrace.Record(loss);

        double A1 = 1 / (1 + Math.Exp(-X * W1)), A2 = 1 / (1 + Math.Exp(-A1 * W2));
        var a2Local = Assert.Single(trace.Find(a2)!.LocalDerivatives);
        Assert.Equal("a2(1 - a2)", a2Local.Formula);
        Assert.Equal(A2 * (1 - A2), a2Local.Value!.Item(), 15);
        var z2Locals = trace.Find(z2)!.LocalDerivatives;
        Assert.Equal(["w2", "a1"], z2Locals.Select(d => d.Formula));
        Assert.Equal(W2, z2Locals[0].Value!.Item());
        Assert.Equal(A1, z2Locals[1].Value!.Item(), 15);
        // x needs no gradient, so no local derivative is taken with respect to it.
        var z1Local = Assert.Single(trace.Steps.Single(s => s.Label == "z1").LocalDerivatives);
        Assert.Equal("w1", trace.Steps[z1Local.Input].Label);
        Assert.Equal("x", z1Local.Formula);
        Assert.Equal(X, z1Local.Value!.Item());
        Assert.Equal((A2 - Y) * A2 * (1 - A2) * W2 * A1 * (1 - A1) * X, trace.GradientOf(w1)!.Item(), 15);
        Assert.Equal((A2 - Y) * A2 * (1 - A2) * A1, w2.Grad!.Item(), 15);
    }

    [Fact]
    public void ModuleNetworksWithFusedLayersAreTracedToo()
    {
        var generator = new Generator(5);
        var net = new MyTorch.NN.Sequential(new MyTorch.NN.Linear(3, 4, dtype: DType.Float64, generator: generator), new MyTorch.NN.Tanh(),
            new MyTorch.NN.Linear(4, 2, dtype: DType.Float64, generator: generator));
        foreach (var (name, parameter) in net.NamedParameters()) parameter.Name = name;
        var input = Named(Tensor.Uniform([5, 3], -1, 1, new Generator(6), DType.Float64), "input");
        var target = Tensor.Uniform([5, 2], -1, 1, new Generator(7), DType.Float64);
        var loss = Named(new MyTorch.Losses.MSELoss().Forward(net.Forward(input), target), "loss");
        var trace = BackpropTrace.Record(loss);

        foreach (var parameter in net.Parameters())
            Assert.Equal(parameter.Grad!.ToArray<double>(), trace.GradientOf(parameter)!.ToArray<double>());
        var text = trace.ToString();
        Assert.Contains("0.weight", text, StringComparison.Ordinal);
        Assert.Contains("tanh(", text, StringComparison.Ordinal);
        // Every gradient the trace shows is the sum of the chain-rule terms it lists.
        foreach (var step in trace.Steps.Where(s => s.Contributions.Count > 0))
        {
            var sum = step.Contributions.Select(c => c.Value.ToArray<double>()).Aggregate((a, b) => a.Zip(b, (u, v) => u + v).ToArray());
            var gradient = step.Gradient!.ToArray<double>();
            for (int i = 0; i < sum.Length; i++) Assert.Equal(gradient[i], sum[i], 12);
        }
    }

    [Fact]
    public void TheObserverIsRemovedAfterwardsEvenWhenBackwardFails()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        Assert.Throws<TensorShapeException>(() => BackpropTrace.Record(x * 2));
        Assert.Null(BackwardObservation.Current);
        BackpropTrace.Record((x * 2).Sum());
        Assert.Null(BackwardObservation.Current);
    }

    [Fact]
    public void ValuesAreSnapshotsThatLaterUpdatesDoNotChange()
    {
        var w = Named(Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true), "w");
        var trace = BackpropTrace.Record((w * w).Sum());
        using (Autograd.NoGrad()) w.AddInPlace(w.Grad!, -0.5);
        Assert.Equal([1.0, 2.0], trace.Find(w)!.Value.ToArray<double>());
        Assert.Equal([0.0, 0.0], w.ToArray<double>());
    }

    [Fact]
    public void TraceDotCarriesIntermediateGradients()
    {
        var x = Named(Tensor.Scalar(0.3, DType.Float64, requiresGrad: true), "x");
        var h = Named(2 * x + 1, "h");
        var y = Named(h.Sigmoid(), "y");
        var trace = BackpropTrace.Record(y);
        var (labels, _) = GraphDotTests.Parse(trace.ToDot());
        var hLabel = Assert.Single(labels.Values, l => l.StartsWith("h = add", StringComparison.Ordinal));
        Assert.Contains("value 1.6", hLabel, StringComparison.Ordinal);
        Assert.Contains("grad 0.1398", hLabel, StringComparison.Ordinal);
    }
}
