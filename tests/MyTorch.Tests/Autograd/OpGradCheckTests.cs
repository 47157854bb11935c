using MyTorch;
using Xunit;

namespace MyTorch.Tests.AutogradEngine;

/// <summary>
/// Float64 finite-difference checks of every differentiable op's backward, one named theory row per op and
/// variant, plus tests of <see cref="GradCheck"/> itself. Inputs come from seeded generators and are kept away
/// from kinks (|x| &gt; 0.1 for abs/relu, no near-ties for max/min, positive values for log/sqrt/negative powers),
/// so the default tolerances (step 1e-6, abs 1e-6, rel 1e-5) must hold.
/// </summary>
public class OpGradCheckTests
{
    /// <summary>One gradient-check case: a factory for fresh inputs and the function of them to check.</summary>
    public sealed record GradCase(Func<Tensor[]> Inputs, Func<Tensor[], Tensor> Function, double Step = 1e-6);

    private static readonly int[] AllDims = [0, 1, 2, -1];
    private static readonly bool[] Bools = [false, true];

    // ---- input generators ---------------------------------------------------------------------------------

    /// <summary>Uniform float64 values in [low, high) that require grad.</summary>
    private static Tensor U(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

    /// <summary>Uniform in [-1, 1).</summary>
    private static Tensor R(ulong seed, params int[] shape) => U(seed, -1, 1, shape);

    /// <summary>Uniform in [0.5, 2): for log, sqrt, negative and fractional powers, and denominators.</summary>
    private static Tensor Pos(ulong seed, params int[] shape) => U(seed, 0.5, 2, shape);

    private static Tensor FromValues(double[] values, int[] shape, bool requiresGrad = true) =>
        Tensor.FromArray(values, shape, requiresGrad);

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Random sign, magnitude in [0.2, 1.2): away from the kink at 0 of abs, relu and leaky relu.</summary>
    private static Tensor AwayFromZero(ulong seed, params int[] shape)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
            values[i] = (gen.NextDouble() < 0.5 ? -1 : 1) * (0.2 + gen.NextDouble());
        return FromValues(values, shape);
    }

    /// <summary>
    /// Values 0.2 k + offset + u with k in -5..4 and u in [0, 0.04): two tensors made with offsets 0 and 0.1
    /// never come closer than 0.06, and a tensor with offset 0.1 stays 0.06 away from every multiple of 0.2
    /// (used as clamp bounds).
    /// </summary>
    private static Tensor Lattice(ulong seed, double offset, params int[] shape)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
            values[i] = 0.2 * (gen.NextInt64(10) - 5) + offset + 0.04 * gen.NextDouble();
        return FromValues(values, shape);
    }

    /// <summary>Pairwise distinct values at least 0.08 apart (a shuffled ramp plus jitter): no ties for max/min.</summary>
    private static Tensor Distinct(ulong seed, params int[] shape)
    {
        var gen = new Generator(seed);
        int n = Count(shape);
        var perm = gen.Permutation(n);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = 0.1 * (perm[i] - n / 2) + 0.02 * gen.NextDouble();
        return FromValues(values, shape);
    }

    /// <summary>The binary-fraction step used with float32 round trips: x ± step stays exactly representable.</summary>
    private const double Float32ExactStep = 1.0 / (1 << 20);

    /// <summary>Uniform values in [-2, 2) rounded to multiples of 2^-20, so they (and x ± 2^-20) are exact in float32.</summary>
    private static Tensor Float32Exact(ulong seed, params int[] shape)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
            values[i] = Math.Round((4 * gen.NextDouble() - 2) / Float32ExactStep) * Float32ExactStep;
        return FromValues(values, shape);
    }

    private static Tensor OneHot(int rows, int classes, ulong seed)
    {
        var gen = new Generator(seed);
        var values = new double[rows * classes];
        for (int r = 0; r < rows; r++) values[r * classes + (int)gen.NextInt64(classes)] = 1;
        return FromValues(values, [rows, classes], requiresGrad: false);
    }

    // ---- the case tables ----------------------------------------------------------------------------------

    private static Dictionary<string, GradCase> Table(params (string Name, GradCase Case)[] entries)
    {
        var table = new Dictionary<string, GradCase>(StringComparer.Ordinal);
        foreach (var (name, c) in entries) table.Add(name, c);
        return table;
    }

    private static (string, GradCase) Case(string name, Func<Tensor[]> inputs, Func<Tensor[], Tensor> function, double step = 1e-6) =>
        (name, new GradCase(inputs, function, step));

    private static TheoryData<string> Names(Dictionary<string, GradCase> table)
    {
        var data = new TheoryData<string>();
        foreach (var name in table.Keys) data.Add(name);
        return data;
    }

    private static void RunCase(Dictionary<string, GradCase> table, string name)
    {
        var c = table[name];
        var inputs = c.Inputs();
        var result = GradCheck.Check(c.Function, inputs, c.Step);
        Assert.True(result.Passed, $"{name}: {result}");
        Assert.Equal(inputs.Where(t => t.RequiresGrad).Sum(t => t.Count), result.ElementsChecked);
    }

    // Binary arithmetic: every operator form (tensor/tensor, tensor/scalar, scalar/tensor) and broadcast shapes.
    private static readonly Dictionary<string, GradCase> ArithmeticTable = BuildArithmetic();

    private static Dictionary<string, GradCase> BuildArithmetic()
    {
        var entries = new List<(string, GradCase)>();
        // (shape of a, shape of b) pairs that cover equal shapes and every kind of broadcasting.
        (string Label, int[] A, int[] B)[] shapes =
        [
            ("(3,4) op (3,4)", [3, 4], [3, 4]),
            ("(3,4) op (4,)", [3, 4], [4]),
            ("(4,) op (3,4)", [4], [3, 4]),
            ("(3,1) op (1,4)", [3, 1], [1, 4]),
            ("(2,3,4) op (3,1)", [2, 3, 4], [3, 1]),
            ("(3,1) op (2,3,4)", [3, 1], [2, 3, 4]),
            ("(2,1,4) op (3,1)", [2, 1, 4], [3, 1]),
            ("(3,4) op 0-d", [3, 4], []),
            ("0-d op (3,4)", [], [3, 4]),
            ("0-d op 0-d", [], []),
        ];
        (string Op, Func<Tensor, Tensor, Tensor> F, bool PositiveB)[] ops =
        [
            ("add", (a, b) => a + b, false),
            ("sub", (a, b) => a - b, false),
            ("mul", (a, b) => a * b, false),
            ("div", (a, b) => a / b, true),
        ];
        foreach (var (op, f, positiveB) in ops)
        {
            foreach (var (label, sa, sb) in shapes)
            {
                entries.Add(Case($"{op} {label}",
                    () => [R(11, sa), positiveB ? Pos(12, sb) : R(12, sb)],
                    x => f(x[0], x[1])));
            }
        }
        // Static method forms, and one operand without RequiresGrad (its gradient is skipped, the other's must still be right).
        entries.Add(Case("Tensor.Add (3,4),(4,)", () => [R(1, 3, 4), R(2, 4)], x => Tensor.Add(x[0], x[1])));
        entries.Add(Case("Tensor.Subtract (3,1),(1,4)", () => [R(1, 3, 1), R(2, 1, 4)], x => Tensor.Subtract(x[0], x[1])));
        entries.Add(Case("Tensor.Multiply (2,3,4),(3,1)", () => [R(1, 2, 3, 4), R(2, 3, 1)], x => Tensor.Multiply(x[0], x[1])));
        entries.Add(Case("Tensor.Divide (3,4),(4,)", () => [R(1, 3, 4), Pos(2, 4)], x => Tensor.Divide(x[0], x[1])));
        entries.Add(Case("mul with constant operand", () => [R(1, 3, 4), R(2, 4).Detach()], x => x[0] * x[1]));
        entries.Add(Case("div with constant numerator", () => [R(1, 3, 4).Detach(), Pos(2, 4)], x => x[0] / x[1]));
        // Scalar operands on both sides.
        entries.Add(Case("add tensor + scalar", () => [R(3, 3, 4)], x => x[0] + 2.5));
        entries.Add(Case("add scalar + tensor", () => [R(3, 3, 4)], x => 2.5 + x[0]));
        entries.Add(Case("sub tensor - scalar", () => [R(3, 3, 4)], x => x[0] - 1.5));
        entries.Add(Case("sub scalar - tensor", () => [R(3, 3, 4)], x => 1.5 - x[0]));
        entries.Add(Case("mul tensor * scalar", () => [R(3, 3, 4)], x => x[0] * -3.0));
        entries.Add(Case("mul scalar * tensor", () => [R(3, 3, 4)], x => -3.0 * x[0]));
        entries.Add(Case("div tensor / scalar", () => [R(3, 3, 4)], x => x[0] / 0.7));
        entries.Add(Case("div scalar / tensor", () => [Pos(3, 3, 4)], x => 2.0 / x[0]));
        entries.Add(Case("div scalar / 0-d", () => [Pos(3)], x => 2.0 / x[0]));
        entries.Add(Case("mul 0-d * scalar", () => [R(3)], x => x[0] * 4.0));
        // Negation and a tensor used twice (gradients from both uses must add up).
        entries.Add(Case("neg Neg()", () => [R(4, 3, 4)], x => x[0].Neg()));
        entries.Add(Case("neg operator -x", () => [R(4, 2, 3)], x => -x[0]));
        entries.Add(Case("neg 0-d", () => [R(4)], x => -x[0]));
        entries.Add(Case("add x + x", () => [R(5, 3, 4)], x => x[0] + x[0]));
        entries.Add(Case("sub x - x*x", () => [R(5, 3, 4)], x => x[0] - x[0] * x[0]));
        entries.Add(Case("mul x * x", () => [R(5, 3, 4)], x => x[0] * x[0]));
        entries.Add(Case("div x / x.Exp()", () => [R(5, 3, 4)], x => x[0] / x[0].Exp()));
        return Table([.. entries]);
    }

    public static TheoryData<string> ArithmeticCases => Names(ArithmeticTable);

    [Theory]
    [MemberData(nameof(ArithmeticCases))]
    public void Arithmetic(string name) => RunCase(ArithmeticTable, name);

    // Element-wise math: exp, log, sqrt, abs, pow, clamp, maximum/minimum, where.
    private static readonly Dictionary<string, GradCase> MathTable = BuildMath();

    private static Dictionary<string, GradCase> BuildMath()
    {
        var entries = new List<(string, GradCase)>
        {
            Case("exp", () => [R(21, 3, 4)], x => x[0].Exp()),
            Case("exp 0-d", () => [R(21)], x => x[0].Exp()),
            Case("log", () => [Pos(22, 3, 4)], x => x[0].Log()),
            Case("log small positive", () => [U(22, 0.1, 0.3, 2, 3)], x => x[0].Log()),
            Case("sqrt", () => [Pos(23, 3, 4)], x => x[0].Sqrt()),
            Case("abs", () => [AwayFromZero(24, 3, 4)], x => x[0].Abs()),
            Case("square", () => [R(25, 3, 4)], x => x[0].Square()),
            Case("clamp min", () => [Lattice(26, 0.1, 4, 5)], x => x[0].Clamp(min: -0.4)),
            Case("clamp max", () => [Lattice(26, 0.1, 4, 5)], x => x[0].Clamp(max: 0.4)),
            Case("clamp min and max", () => [Lattice(26, 0.1, 4, 5)], x => x[0].Clamp(-0.4, 0.4)),
            Case("clamp no bounds", () => [R(26, 4, 5)], x => x[0].Clamp()),
            Case("maximum (3,4),(3,4)", () => [Lattice(27, 0, 3, 4), Lattice(28, 0.1, 3, 4)], x => Tensor.Maximum(x[0], x[1])),
            Case("maximum (3,4),(4,)", () => [Lattice(27, 0, 3, 4), Lattice(28, 0.1, 4)], x => Tensor.Maximum(x[0], x[1])),
            Case("maximum (3,1),(1,4)", () => [Lattice(27, 0, 3, 1), Lattice(28, 0.1, 1, 4)], x => Tensor.Maximum(x[0], x[1])),
            Case("maximum (2,3,4),0-d", () => [Lattice(27, 0, 2, 3, 4), Lattice(28, 0.1)], x => Tensor.Maximum(x[0], x[1])),
            Case("minimum (3,4),(3,4)", () => [Lattice(29, 0, 3, 4), Lattice(30, 0.1, 3, 4)], x => Tensor.Minimum(x[0], x[1])),
            Case("minimum (3,4),(4,)", () => [Lattice(29, 0, 3, 4), Lattice(30, 0.1, 4)], x => Tensor.Minimum(x[0], x[1])),
            Case("minimum (3,1),(1,4)", () => [Lattice(29, 0, 3, 1), Lattice(30, 0.1, 1, 4)], x => Tensor.Minimum(x[0], x[1])),
            Case("minimum (2,3,4),(3,1)", () => [Lattice(29, 0, 2, 3, 4), Lattice(30, 0.1, 3, 1)], x => Tensor.Minimum(x[0], x[1])),
        };

        double[] exponents = [0.5, 2, 3, -1, 0, 1, 1.5, -0.5, -2];
        foreach (double p in exponents)
        {
            bool needsPositive = p < 0 || p != Math.Floor(p);
            entries.Add(Case($"pow {p.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                () => [needsPositive ? Pos(31, 3, 4) : R(31, 3, 4)], x => x[0].Pow(p)));
        }

        var mask34 = FromValues([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4], requiresGrad: false);
        var mask4 = FromValues([1, 0, 1, 0], [4], requiresGrad: false);
        var mask31 = FromValues([0, 1, 1], [3, 1], requiresGrad: false);
        entries.Add(Case("where cond (3,4), a (3,4), b (3,4)", () => [R(32, 3, 4), R(33, 3, 4)], x => Tensor.Where(mask34, x[0], x[1])));
        entries.Add(Case("where cond (4,), a (3,4), b (3,1)", () => [R(32, 3, 4), R(33, 3, 1)], x => Tensor.Where(mask4, x[0], x[1])));
        entries.Add(Case("where cond (3,4), a (3,1), b 0-d", () => [R(32, 3, 1), R(33)], x => Tensor.Where(mask34, x[0], x[1])));
        entries.Add(Case("where cond (3,1), a (4,), b (2,3,4)", () => [R(32, 4), R(33, 2, 3, 4)], x => Tensor.Where(mask31, x[0], x[1])));
        entries.Add(Case("where from comparison", () => [R(34, 3, 4)],
            x => Tensor.Where(x[0].Detach().Gt(0), x[0].Exp(), x[0] * x[0])));
        return Table([.. entries]);
    }

    public static TheoryData<string> MathCases => Names(MathTable);

    [Theory]
    [MemberData(nameof(MathCases))]
    public void ElementwiseMath(string name) => RunCase(MathTable, name);

    // Matrix multiplication in every form PyTorch's matmul supports.
    private static readonly Dictionary<string, GradCase> MatMulTable = Table(
        Case("(3,4)@(4,5)", () => [R(41, 3, 4), R(42, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("instance (1,4)@(4,1)", () => [R(41, 1, 4), R(42, 4, 1)], x => x[0].MatMul(x[1])),
        Case("(4,)@(4,5) 1-D left", () => [R(41, 4), R(42, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(3,4)@(4,) 1-D right", () => [R(41, 3, 4), R(42, 4)], x => Tensor.MatMul(x[0], x[1])),
        Case("(4,)@(4,) 1-D both", () => [R(41, 4), R(42, 4)], x => Tensor.MatMul(x[0], x[1])),
        Case("(2,3,4)@(2,4,5) batched", () => [R(41, 2, 3, 4), R(42, 2, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(2,2,3,4)@(4,5) N-d@2-D", () => [R(41, 2, 2, 3, 4), R(42, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(3,4)@(2,4,5) 2-D@batched", () => [R(41, 3, 4), R(42, 2, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(2,1,3,4)@(3,4,5) broadcast batch", () => [R(41, 2, 1, 3, 4), R(42, 3, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(1,3,4)@(2,4,5) broadcast batch of 1", () => [R(41, 1, 3, 4), R(42, 2, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(4,)@(2,4,5) 1-D@batched", () => [R(41, 4), R(42, 2, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("(2,3,4)@(4,) batched@1-D", () => [R(41, 2, 3, 4), R(42, 4)], x => Tensor.MatMul(x[0], x[1])),
        Case("constant left (3,4)@(4,5)", () => [R(41, 3, 4).Detach(), R(42, 4, 5)], x => Tensor.MatMul(x[0], x[1])),
        Case("constant right (2,3,4)@(2,4,5)", () => [R(41, 2, 3, 4), R(42, 2, 4, 5).Detach()], x => Tensor.MatMul(x[0], x[1])),
        Case("x@x.T", () => [R(43, 3, 4)], x => x[0].MatMul(x[0].T)),
        Case("x.T@x", () => [R(43, 3, 4)], x => x[0].T.MatMul(x[0])));

    public static TheoryData<string> MatMulCases => Names(MatMulTable);

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void MatMul(string name) => RunCase(MatMulTable, name);

    // Ops that move elements: transpose/permute, reshape family, broadcast, narrow, concat, index select, To, Clone.
    private static readonly Dictionary<string, GradCase> ShapeTable = BuildShape();

    private static Dictionary<string, GradCase> BuildShape()
    {
        var indices = Tensor.FromArray(new long[] { 2, 0, 2, 2, 1 });
        var fewIndices = Tensor.FromArray(new long[] { 3, 3, 0 });
        var negativeIndices = Tensor.FromArray(new long[] { 1, -1, 1 });
        var constant = FromValues([0.5, -0.25, 1, 2, -1, 0.75], [2, 3], requiresGrad: false);
        var entries = new List<(string, GradCase)>
        {
            Case("transpose default (3,4)", () => [R(51, 3, 4)], x => x[0].Transpose()),
            Case("transpose (0,2) of (2,3,4)", () => [R(51, 2, 3, 4)], x => x[0].Transpose(0, 2)),
            Case("transpose (-1,-3) of (2,3,4)", () => [R(51, 2, 3, 4)], x => x[0].Transpose(-1, -3)),
            Case("transpose default of (2,3,4)", () => [R(51, 2, 3, 4)], x => x[0].Transpose()),
            Case("T of (3,4)", () => [R(51, 3, 4)], x => x[0].T),
            Case("permute (2,0,1)", () => [R(52, 2, 3, 4)], x => x[0].Permute(2, 0, 1)),
            Case("permute (1,2,0)", () => [R(52, 2, 3, 4)], x => x[0].Permute(1, 2, 0)),
            Case("permute (-1,0,1)", () => [R(52, 2, 3, 4)], x => x[0].Permute(-1, 0, 1)),
            Case("permute 4-D (3,1,0,2)", () => [R(52, 2, 3, 2, 2)], x => x[0].Permute(3, 1, 0, 2)),
            Case("reshape (2,3,4)->(4,6)", () => [R(53, 2, 3, 4)], x => x[0].Reshape(4, 6)),
            Case("reshape (2,3,4)->(-1,3)", () => [R(53, 2, 3, 4)], x => x[0].Reshape(-1, 3)),
            Case("reshape 0-d->(1,1)", () => [R(53)], x => x[0].Reshape(1, 1)),
            Case("reshape (1,)->0-d", () => [R(53, 1)], x => x[0].Reshape()),
            Case("flatten", () => [R(54, 2, 3, 4)], x => x[0].Flatten()),
            Case("flatten(1)", () => [R(54, 2, 3, 4)], x => x[0].Flatten(1)),
            Case("flatten(-1)", () => [R(54, 2, 3, 4)], x => x[0].Flatten(-1)),
            Case("flatten 0-d", () => [R(54)], x => x[0].Flatten()),
            Case("unsqueeze(0)", () => [R(55, 3, 4)], x => x[0].Unsqueeze(0)),
            Case("unsqueeze(1)", () => [R(55, 3, 4)], x => x[0].Unsqueeze(1)),
            Case("unsqueeze(-1)", () => [R(55, 3, 4)], x => x[0].Unsqueeze(-1)),
            Case("unsqueeze 0-d", () => [R(55)], x => x[0].Unsqueeze(0)),
            Case("squeeze(1) of (3,1,4)", () => [R(56, 3, 1, 4)], x => x[0].Squeeze(1)),
            Case("squeeze(-1) of (3,4,1)", () => [R(56, 3, 4, 1)], x => x[0].Squeeze(-1)),
            Case("squeeze(0) no-op of (3,4)", () => [R(56, 3, 4)], x => x[0].Squeeze(0)),
            Case("unsqueeze then squeeze then exp", () => [R(56, 3, 4)], x => x[0].Unsqueeze(1).Exp().Squeeze(1)),
            Case("broadcast_to (4,)->(3,4)", () => [R(57, 4)], x => x[0].BroadcastTo(3, 4)),
            Case("broadcast_to (3,1)->(2,3,4)", () => [R(57, 3, 1)], x => x[0].BroadcastTo(2, 3, 4)),
            Case("broadcast_to (1,4)->(3,4)", () => [R(57, 1, 4)], x => x[0].BroadcastTo(3, 4)),
            Case("broadcast_to 0-d->(2,3)", () => [R(57)], x => x[0].BroadcastTo(2, 3)),
            Case("broadcast_to (2,1,4)->(2,3,4)", () => [R(57, 2, 1, 4)], x => x[0].BroadcastTo(2, 3, 4)),
            Case("broadcast_to same shape", () => [R(57, 3, 4)], x => x[0].BroadcastTo(3, 4)),
            Case("narrow dim 0 start 0 len 2", () => [R(58, 5, 4)], x => x[0].Narrow(0, 0, 2)),
            Case("narrow dim 0 start 1 len 3", () => [R(58, 5, 4)], x => x[0].Narrow(0, 1, 3)),
            Case("narrow dim 1 start 2 len 2 (to end)", () => [R(58, 5, 4)], x => x[0].Narrow(1, 2, 2)),
            Case("narrow dim -1 full", () => [R(58, 5, 4)], x => x[0].Narrow(-1, 0, 4)),
            Case("narrow 3-D dim 1 start 1 len 3", () => [R(58, 2, 5, 3)], x => x[0].Narrow(1, 1, 3)),
            Case("narrow length 0 concat", () => [R(58, 5, 4)], x => Tensor.Concat([x[0].Narrow(0, 2, 0), x[0].Narrow(0, 1, 2)], 0)),
            Case("concat dim 0", () => [R(59, 2, 3), R(60, 1, 3), R(61, 3, 3)], x => Tensor.Concat([x[0], x[1], x[2]], 0)),
            Case("concat dim 1", () => [R(59, 2, 1), R(60, 2, 3), R(61, 2, 2)], x => Tensor.Concat([x[0], x[1], x[2]], 1)),
            Case("concat dim -1 of 3-D", () => [R(59, 2, 3, 1), R(60, 2, 3, 2)], x => Tensor.Concat([x[0], x[1]], -1)),
            Case("concat dim 1 of 3-D", () => [R(59, 2, 1, 4), R(60, 2, 2, 4)], x => Tensor.Concat([x[0], x[1]], 1)),
            Case("concat with constant", () => [R(59, 2, 3)], x => Tensor.Concat([constant, x[0], constant], 0)),
            Case("concat same tensor twice", () => [R(59, 2, 3)], x => Tensor.Concat([x[0], x[0].Exp(), x[0]], 1)),
            Case("concat single", () => [R(59, 2, 3)], x => Tensor.Concat([x[0]], 0)),
            Case("index_select dim 0 repeated", () => [R(62, 4, 3)], x => x[0].IndexSelect(0, indices)),
            Case("index_select dim 1 repeated", () => [R(62, 3, 4)], x => x[0].IndexSelect(1, fewIndices)),
            Case("index_select dim 1 of 3-D negative", () => [R(62, 2, 4, 3)], x => x[0].IndexSelect(1, negativeIndices)),
            Case("index_select dim -1 of 3-D", () => [R(62, 2, 3, 4)], x => x[0].IndexSelect(-1, fewIndices)),
            Case("index_select 1-D", () => [R(62, 4)], x => x[0].IndexSelect(0, indices)),
            Case("rows repeated", () => [R(62, 4, 3)], x => x[0].Rows([3, 1, 3, 0])),
            Case("to float32 and back", () => [Float32Exact(63, 3, 4)], x => x[0].To(DType.Float32).To(DType.Float64), Float32ExactStep),
            Case("to float32 and back, then exp", () => [Float32Exact(63, 3, 4)],
                x => x[0].To(DType.Float32).To(DType.Float64).Exp() * x[0], Float32ExactStep),
            Case("to float64 (no-op)", () => [R(63, 3, 4)], x => x[0].To(DType.Float64).Exp()),
            Case("clone", () => [R(64, 3, 4)], x => x[0].Clone()),
            Case("clone then multiply by itself", () => [R(64, 3, 4)], x => x[0].Clone() * x[0]),
        };
        return Table([.. entries]);
    }

    public static TheoryData<string> ShapeCases => Names(ShapeTable);

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void ShapeOps(string name) => RunCase(ShapeTable, name);

    // Reductions: sum, mean, var, max, min, logsumexp, softmax, log softmax, over all elements and over each dim.
    private static readonly Dictionary<string, GradCase> ReductionTable = BuildReductions();

    private static Dictionary<string, GradCase> BuildReductions()
    {
        var entries = new List<(string, GradCase)>
        {
            Case("sum()", () => [R(71, 2, 3, 4)], x => x[0].Sum()),
            Case("sum() 0-d", () => [R(71)], x => x[0].Sum()),
            Case("sum(0) 0-d", () => [R(71)], x => x[0].Sum(0)),
            Case("sum() 1-D", () => [R(71, 5)], x => x[0].Sum()),
            Case("mean()", () => [R(72, 2, 3, 4)], x => x[0].Mean()),
            Case("mean() 0-d", () => [R(72)], x => x[0].Mean()),
            Case("var() unbiased", () => [R(73, 3, 4)], x => x[0].Var()),
            Case("var() biased", () => [R(73, 3, 4)], x => x[0].Var(unbiased: false)),
            Case("max()", () => [Distinct(74, 2, 3, 4)], x => x[0].Max()),
            Case("min()", () => [Distinct(75, 2, 3, 4)], x => x[0].Min()),
            Case("max() 0-d", () => [R(74)], x => x[0].Max()),
            Case("max(1) of (3,4)", () => [Distinct(74, 3, 4)], x => x[0].Max(1)),
            Case("min(0) of (3,4)", () => [Distinct(75, 3, 4)], x => x[0].Min(0)),
            Case("logsumexp large values", () => [U(76, 50, 60, 3, 4)], x => x[0].LogSumExp(1)),
            Case("softmax large values", () => [U(76, -60, 60, 3, 4)], x => x[0].Softmax(1)),
            Case("log_softmax default dim (3,5)", () => [R(77, 3, 5)], x => x[0].LogSoftmax()),
            Case("softmax default dim (3,5)", () => [R(77, 3, 5)], x => x[0].Softmax()),
            Case("softmax 1-D", () => [R(77, 5)], x => x[0].Softmax(0)),
        };
        foreach (int d in AllDims)
        {
            foreach (bool keep in Bools)
            {
                string k = keep ? "keepDim" : "dropDim";
                entries.Add(Case($"sum({d}) {k}", () => [R(81, 2, 3, 4)], x => x[0].Sum(d, keep)));
                entries.Add(Case($"mean({d}) {k}", () => [R(82, 2, 3, 4)], x => x[0].Mean(d, keep)));
                foreach (bool unbiased in Bools)
                {
                    entries.Add(Case($"var({d}) {k} {(unbiased ? "unbiased" : "biased")}",
                        () => [R(83, 2, 3, 4)], x => x[0].Var(d, keep, unbiased)));
                }
                entries.Add(Case($"max({d}) {k}", () => [Distinct(84, 2, 3, 4)], x => x[0].Max(d, keep)));
                entries.Add(Case($"min({d}) {k}", () => [Distinct(85, 2, 3, 4)], x => x[0].Min(d, keep)));
                entries.Add(Case($"logsumexp({d}) {k}", () => [R(86, 2, 3, 4)], x => x[0].LogSumExp(d, keep)));
            }
            entries.Add(Case($"softmax({d})", () => [R(87, 2, 3, 4)], x => x[0].Softmax(d)));
            entries.Add(Case($"log_softmax({d})", () => [R(88, 2, 3, 4)], x => x[0].LogSoftmax(d)));
        }
        return Table([.. entries]);
    }

    public static TheoryData<string> ReductionCases => Names(ReductionTable);

    [Theory]
    [MemberData(nameof(ReductionCases))]
    public void Reductions(string name) => RunCase(ReductionTable, name);

    // Activations.
    private static readonly Dictionary<string, GradCase> ActivationTable = Table(
        Case("sigmoid", () => [U(91, -4, 4, 3, 4)], x => x[0].Sigmoid()),
        Case("tanh", () => [U(92, -3, 3, 3, 4)], x => x[0].Tanh()),
        Case("relu", () => [AwayFromZero(93, 3, 4)], x => x[0].Relu()),
        Case("leaky_relu default slope", () => [AwayFromZero(94, 3, 4)], x => x[0].LeakyRelu()),
        Case("leaky_relu slope 0.2", () => [AwayFromZero(94, 3, 4)], x => x[0].LeakyRelu(0.2)),
        Case("softplus", () => [U(95, -5, 5, 3, 4)], x => x[0].Softplus()),
        Case("softplus beyond threshold", () => [FromValues([-25, -3, 0.5, 19.5, 20.5, 30], [6])], x => x[0].Softplus()),
        Case("gelu", () => [U(96, -3, 3, 3, 4)], x => x[0].Gelu()),
        Case("gelu tails", () => [FromValues([-6, -4.5, -0.3, 0.02, 4.5, 6], [6])], x => x[0].Gelu()),
        Case("sigmoid 0-d", () => [R(97)], x => x[0].Sigmoid()),
        Case("tanh of product", () => [R(98, 3, 4), R(99, 4)], x => (x[0] * x[1]).Tanh()));

    public static TheoryData<string> ActivationCases => Names(ActivationTable);

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void Activations(string name) => RunCase(ActivationTable, name);

    // Compositions of many ops, as models use them.
    private static readonly Dictionary<string, GradCase> CompositionTable = BuildCompositions();

    private static Dictionary<string, GradCase> BuildCompositions()
    {
        var labels = OneHot(5, 3, 101);
        var targets = FromValues([0.5, -1, 0.25, 2, 0, 1, -0.5, 0.75, 1.5, -2], [5, 2], requiresGrad: false);
        var binary = FromValues([1, 0, 0, 1, 1, 0], [6], requiresGrad: false);
        return Table(
            Case("2-layer MLP, tanh, cross-entropy via log_softmax",
                () => [R(102, 5, 4), R(103, 4, 6), R(104, 6), R(105, 6, 3), R(106, 3)],
                x =>
                {
                    var hidden = (x[0].MatMul(x[1]) + x[2]).Tanh();
                    var logits = hidden.MatMul(x[3]) + x[4];
                    return -(logits.LogSoftmax(1) * labels).Sum(1).Mean();
                }),
            Case("2-layer MLP, relu, cross-entropy via logsumexp",
                () => [R(107, 5, 4), R(108, 4, 6), U(109, 0.15, 0.5, 6), R(110, 6, 3), R(111, 3)],
                x =>
                {
                    var hidden = (x[0].MatMul(x[1]) + x[2]).Relu();
                    var logits = hidden.MatMul(x[3]) + x[4];
                    return (logits.LogSumExp(1) - (logits * labels).Sum(1)).Mean();
                }),
            Case("2-layer MLP, gelu, MSE",
                () => [R(112, 5, 3), R(113, 3, 4), R(114, 4), R(115, 4, 2), R(116, 2)],
                x =>
                {
                    var hidden = (x[0].MatMul(x[1]) + x[2]).Gelu();
                    var prediction = hidden.MatMul(x[3]) + x[4];
                    return (prediction - targets).Pow(2).Mean();
                }),
            Case("layer norm with affine",
                () => [R(117, 3, 5), R(118, 5), R(119, 5)],
                x =>
                {
                    var centered = x[0] - x[0].Mean(-1, keepDim: true);
                    var std = (x[0].Var(-1, keepDim: true, unbiased: false) + 1e-5).Sqrt();
                    return centered / std * x[1] + x[2];
                }),
            Case("batched attention",
                () => [R(120, 2, 3, 4), R(121, 2, 3, 4), R(122, 2, 3, 4)],
                x => (x[0].MatMul(x[1].Transpose(1, 2)) / Math.Sqrt(4)).Softmax(-1).MatMul(x[2])),
            Case("logistic regression, binary cross-entropy",
                () => [R(123, 6, 3), R(124, 3), R(125)],
                x =>
                {
                    var p = (x[0].MatMul(x[1]) + x[2]).Sigmoid();
                    return -(binary * p.Log() + (1 - binary) * (1 - p).Log()).Mean();
                }),
            Case("tensor reused across branches",
                () => [R(126, 3, 4)],
                x => x[0] * x[0].Exp() + x[0].Sigmoid() * x[0] - x[0].Sum(0, keepDim: true) * x[0].Tanh()),
            Case("softplus of normalized max-pooled features",
                () => [Distinct(127, 2, 3, 4), R(128, 4)],
                x => (x[0].Max(1) * x[1]).Softplus().Sum(-1).LogSumExp(0)),
            Case("concat, narrow and index_select pipeline",
                () => [R(129, 3, 2), R(130, 3, 3)],
                x =>
                {
                    var joined = Tensor.Concat([x[0], x[1].Exp()], 1);
                    var picked = joined.IndexSelect(0, Tensor.FromArray(new long[] { 2, 2, 0 }));
                    return picked.Narrow(1, 1, 3).Permute(1, 0).Reshape(-1).Softmax(0);
                }),
            Case("clamped and abs residual",
                () => [Lattice(131, 0.1, 3, 4), Lattice(132, 0.1, 4)],
                x => (x[0].Clamp(-0.4, 0.6) + x[1]).Abs().Sqrt().Sum()));
    }

    public static TheoryData<string> CompositionCases => Names(CompositionTable);

    [Theory]
    [MemberData(nameof(CompositionCases))]
    public void Compositions(string name) => RunCase(CompositionTable, name);

    // ---- tests of GradCheck itself --------------------------------------------------------------------------

    /// <summary>x^2 with a backward that adds given errors at given flat positions (all zero: the correct gradient).</summary>
    private sealed class SquareWithBackwardErrors(IReadOnlyDictionary<int, double> errors) : AutogradFunction
    {
        private Tensor? x;

        protected override Tensor Forward(Tensor[] inputs)
        {
            x = inputs[0];
            return x * x;
        }

        protected override Tensor?[] Backward(Tensor gradOutput)
        {
            var shape = x!.Shape.ToArray();
            var bump = new double[x.Count];
            foreach (var (index, error) in errors) bump[index] = error;
            return [gradOutput * 2 * x + Tensor.FromArray(bump, shape)];
        }
    }

    private static Tensor SquareWithErrors(Tensor x, params (int Index, double Error)[] errors) =>
        new SquareWithBackwardErrors(errors.ToDictionary(e => e.Index, e => e.Error)).Apply(x);

    [Fact]
    public void GradCheckPassesACorrectAutogradFunction()
    {
        var inputs = new[] { R(201, 2, 3), R(202, 4) };
        var result = GradCheck.Check(x => SquareWithErrors(x[0]).Sum(1) * x[1].Sum(), inputs);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(10, result.ElementsChecked);
        Assert.Contains("passed", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckFailsWhenOneBackwardElementIsWrong()
    {
        // Input 0 goes through correct ops; input 1 through a square whose backward is wrong at (1, 2) only.
        var inputs = new[] { R(203, 2, 3), R(204, 2, 3) };
        var result = GradCheck.Check(x => x[0].Exp() * SquareWithErrors(x[1], (5, 0.5)), inputs);

        Assert.False(result.Passed, result.ToString());
        Assert.Equal(1, result.InputIndex);
        Assert.Equal(new[] { 1, 2 }, result.ElementIndex);
        Assert.Equal(0.5, result.Analytic - result.Numeric, 5);
        Assert.Equal(0.5, result.AbsoluteError, 5);
        Assert.Equal(12, result.ElementsChecked);
        var report = result.ToString();
        Assert.Contains("FAILED", report, StringComparison.Ordinal);
        Assert.Contains("input 1", report, StringComparison.Ordinal);
        Assert.Contains("(1, 2)", report, StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckReportsTheWorstElementIndex()
    {
        // Errors of very different sizes (ratios beyond the spread of the tolerance itself): the largest, at
        // flat index 23 = (1, 2, 3), must be the one reported. Smaller errors elsewhere must not mask it.
        var inputs = new[] { R(205, 2, 3, 4) };
        var result = GradCheck.Check(x => SquareWithErrors(x[0], (6, 0.001), (23, 2.0), (13, 0.05)), inputs);

        Assert.False(result.Passed);
        Assert.Equal(0, result.InputIndex);
        Assert.Equal(new[] { 1, 2, 3 }, result.ElementIndex);
        Assert.Equal(2.0, result.AbsoluteError, 5);
        double x = inputs[0].At(1, 2, 3);
        Assert.Equal(result.Analytic - 2.0, result.Numeric, 5);
        Assert.True(Math.Abs(result.Numeric) <= 2 * Math.Abs(x) + 1e-9, result.ToString()); // |2 x w| with |w| <= 1
        Assert.Contains("(1, 2, 3)", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckReportsTheOriginalInputIndexWhenSomeInputsAreSkipped()
    {
        // Input 1 does not require grad and is skipped; the worst element is in input 2, at (2, 0).
        var inputs = new[] { R(206, 3), R(207, 3).Detach(), R(208, 3, 2) };
        var result = GradCheck.Check(
            x => SquareWithErrors(x[0], (1, 0.01)).Sum() * x[1].Sum() + SquareWithErrors(x[2], (4, 1.5)), inputs);

        Assert.False(result.Passed);
        Assert.Equal(2, result.InputIndex);
        Assert.Equal(new[] { 2, 0 }, result.ElementIndex);
        Assert.Equal(1.5, result.AbsoluteError, 5);
        Assert.Equal(9, result.ElementsChecked);
        Assert.Contains("input 2", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckRejectsFloat32Inputs()
    {
        var inputs = new[] { R(209, 3), Tensor.Uniform([3], -1, 1, new Generator(210), DType.Float32, requiresGrad: true) };
        var error = Assert.Throws<ArgumentException>(() => GradCheck.Check(x => x[0] * x[1].To(DType.Float64), inputs));
        Assert.Contains("input 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("float32", error.Message, StringComparison.Ordinal);
        Assert.Contains("float64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckRejectsInputsWithoutRequiresGrad()
    {
        var inputs = new[] { R(211, 3).Detach() };
        var error = Assert.Throws<ArgumentException>(() => GradCheck.Check(x => x[0].Exp(), inputs));
        Assert.Contains("RequiresGrad", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GradCheckRestoresInputValues()
    {
        var input = R(212, 3, 4);
        var before = input.ToArray<double>();
        GradCheck.Check(x => x[0].Exp().Sum(0), [input]);
        Assert.Equal(before, input.ToArray<double>());
    }

    [Fact]
    public void GradCheckAssertThrowsWithTheReport()
    {
        var inputs = new[] { R(213, 2, 2) };
        var error = Assert.Throws<InvalidOperationException>(() => GradCheck.Assert(x => SquareWithErrors(x[0], (3, 1.0)), inputs));
        Assert.Contains("FAILED", error.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 1)", error.Message, StringComparison.Ordinal);
    }
}
