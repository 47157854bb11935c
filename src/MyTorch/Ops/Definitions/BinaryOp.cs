using MyTorch.Diagnostics;
using MyTorch.Kernels;

namespace MyTorch.Ops;

/// <summary>
/// An element-wise op of two tensors with NumPy broadcasting, declared once: its kernel, its gradients with respect to
/// each operand as differentiable ops, its notation and its gradient-check cases.
/// </summary>
internal interface IBinaryOp<TSelf> where TSelf : IBinaryOp<TSelf>
{
    /// <summary>The op's name.</summary>
    static abstract string Name { get; }

    /// <summary>dL/da at the output's shape, from g = dL/dy (the runner sums it back over a's broadcast dimensions).</summary>
    static abstract Tensor GradientA(Tensor g, Tensor a, Tensor b);

    /// <summary>dL/db at the output's shape, from g = dL/dy.</summary>
    static abstract Tensor GradientB(Tensor g, Tensor a, Tensor b);

    /// <summary>Whether the gradients read the operands' values (so changing one in place before backward is an error).</summary>
    static virtual SavedTensors Saves => SavedTensors.Inputs;
}

/// <summary>The registry entry and the runner of an <see cref="IBinaryOp{TSelf}"/> whose kernel is <typeparamref name="TKernel"/>.</summary>
internal abstract class BinaryOp<TSelf, TKernel> : OpDefinition
    where TSelf : BinaryOp<TSelf, TKernel>, IBinaryOp<TSelf>
    where TKernel : IBinaryKernel<TKernel>
{
    /// <inheritdoc/>
    public override string Name => TSelf.Name;

    /// <summary>Whether the gradient checks draw the second operand from positive values (a divisor).</summary>
    protected virtual bool PositiveSecondOperand => false;

    /// <summary>a op b, recorded in the graph; each operand's gradient is summed back to its shape.</summary>
    public static Tensor Apply(Tensor a, Tensor b)
    {
        var y = Tensor.Binary<TKernel>(a, b, TSelf.Name);
        return Autograd.Record(y, TSelf.Name, [a, b], g => [
            a.RequiresGrad ? TSelf.GradientA(g, a, b).SumTo(a.ShapeArray) : null,
            b.RequiresGrad ? TSelf.GradientB(g, a, b).SumTo(b.ShapeArray) : null], TSelf.Saves);
    }

    /// <inheritdoc/>
    public override IEnumerable<GradCheckCase> GradCheckCases
    {
        get
        {
            Tensor A(ulong seed, params int[] shape) => Uniform(seed, -1, 1, shape);
            Tensor B(ulong seed, params int[] shape) => PositiveSecondOperand ? Uniform(seed, 0.5, 2, shape) : Uniform(seed, -1, 1, shape);
            GradCheckCase Case(string variant, Func<Tensor[]> inputs) => new("op", TSelf.Name, variant, inputs, x => Apply(x[0], x[1]));
            yield return Case("(3, 4) and (3, 4)", () => [A(1, 3, 4), B(2, 3, 4)]);
            yield return Case("(2, 3, 4) and (3, 1): broadcast", () => [A(3, 2, 3, 4), B(4, 3, 1)]);
            yield return Case("(3, 4) and a 0-d tensor", () => [A(5, 3, 4), B(6)]);
        }
    }

    /// <summary>A gradient-check case of this op on seeded inputs.</summary>
    protected static GradCheckCase Case(string variant, Func<Tensor[]> inputs, Func<Tensor[], Tensor> function) =>
        new("op", TSelf.Name, variant, inputs, function);

    private static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

    /// <summary>Distinct values at least 0.08 apart: no ties (kinks) for an op that selects one operand.</summary>
    protected static Tensor Distinct(ulong seed, params int[] shape)
    {
        var generator = new Generator(seed);
        int n = Shapes.Count(shape);
        var permutation = generator.Permutation(n);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = 0.1 * (permutation[i] - n / 2) + 0.02 * generator.NextDouble();
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }
}
