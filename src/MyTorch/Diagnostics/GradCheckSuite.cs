using System.Diagnostics;
using MyTorch.Losses;
using MyTorch.NN;
using MLP = MyTorch.Seed.MLP;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;

namespace MyTorch.Diagnostics;

/// <summary>One entry of <see cref="GradCheckSuite"/>: an op, layer or loss, a variant of its inputs, and the function to check.</summary>
/// <param name="Group">"op", "layer" or "loss".</param>
/// <param name="Name">The op, layer or loss checked (<c>matmul</c>, <c>Linear</c>, <c>BCELoss</c>).</param>
/// <param name="Variant">What this case varies: shapes, broadcasting, mode.</param>
/// <param name="Inputs">Makes fresh float64 inputs; those that require grad are checked.</param>
/// <param name="Function">The function of the inputs whose gradients are checked.</param>
/// <param name="Step">The finite-difference step.</param>
public sealed record GradCheckCase(string Group, string Name, string Variant, Func<Tensor[]> Inputs, Func<Tensor[], Tensor> Function, double Step = 1e-6);

/// <summary>The outcome of one <see cref="GradCheckCase"/>.</summary>
/// <param name="Case">The case.</param>
/// <param name="Result">The gradient check's report: pass or fail, the worst element, its errors.</param>
/// <param name="Elapsed">How long the check took.</param>
public sealed record GradCheckCaseResult(GradCheckCase Case, GradCheckResult Result, TimeSpan Elapsed);

/// <summary>
/// The float64 finite-difference check (<see cref="GradCheck"/>) of every built-in differentiable op, layer and
/// loss, on small seeded inputs kept away from kinks (|x| &gt;= 0.2 for abs and relu, no ties for max, positive
/// values for log and sqrt). <c>mytorch gradcheck</c> runs it and prints the worst error per op.
/// </summary>
public static class GradCheckSuite
{
    /// <summary>Every case, ops first, then layers, then losses.</summary>
    public static IReadOnlyList<GradCheckCase> Cases { get; } = [.. Ops(), .. Layers(), .. LossCases()];

    /// <summary>Runs the cases whose name contains <paramref name="filter"/> (case-insensitive; all when null).</summary>
    public static IReadOnlyList<GradCheckCaseResult> Run(string? filter = null, double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5)
    {
        var results = new List<GradCheckCaseResult>();
        foreach (var c in Cases)
        {
            if (filter is not null && !c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            var clock = Stopwatch.StartNew();
            var result = GradCheck.Check(c.Function, c.Inputs(), c.Step, absoluteTolerance, relativeTolerance);
            results.Add(new GradCheckCaseResult(c, result, clock.Elapsed));
        }
        return results;
    }

    // ---- inputs -------------------------------------------------------------------------------------------

    private static Tensor U(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

    private static Tensor R(ulong seed, params int[] shape) => U(seed, -1, 1, shape);

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Random sign, magnitude in [0.2, 1.2): away from the kinks at 0.</summary>
    private static Tensor AwayFromZero(ulong seed, params int[] shape)
    {
        var generator = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (generator.NextDouble() < 0.5 ? -1 : 1) * (0.2 + generator.NextDouble());
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }

    /// <summary>Distinct values at least 0.08 apart: no ties for max, min, maximum and minimum.</summary>
    private static Tensor Distinct(ulong seed, params int[] shape)
    {
        var generator = new Generator(seed);
        int n = Count(shape);
        var permutation = generator.Permutation(n);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = 0.1 * (permutation[i] - n / 2) + 0.02 * generator.NextDouble();
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }

    private static GradCheckCase Op(string name, string variant, Func<Tensor[]> inputs, Func<Tensor[], Tensor> function) =>
        new("op", name, variant, inputs, function);

    // ---- ops ----------------------------------------------------------------------------------------------

    /// <summary>Every op's cases, from its definition (<see cref="MyTorch.Ops.OpDefinition.GradCheckCases"/>).</summary>
    private static IEnumerable<GradCheckCase> Ops()
    {
        foreach (var op in MyTorch.Ops.OpRegistry.All)
            foreach (var c in op.GradCheckCases) yield return c;
    }

    // ---- layers -------------------------------------------------------------------------------------------

    private static GradCheckCase Layer(string name, string variant, Func<Module> create, int[] inputShape, ulong seed, bool awayFromZero = false)
    {
        // The module is made once per input set, and its parameters are checked along with the input.
        Module? module = null;
        return new GradCheckCase("layer", name, variant,
            () =>
            {
                module = create();
                var x = awayFromZero ? AwayFromZero(seed, inputShape) : U(seed, -2, 2, inputShape);
                return [x, .. module.Parameters()];
            },
            x => module!.Forward(x[0]));
    }

    private static IEnumerable<GradCheckCase> Layers()
    {
        yield return Layer("Linear", "4 -> 3, batch 5", () => new Linear(4, 3, dtype: DType.Float64, generator: new Generator(100)), [5, 4], 101);
        yield return Layer("Linear", "4 -> 3 without bias", () => new Linear(4, 3, bias: false, dtype: DType.Float64, generator: new Generator(102)), [5, 4], 103);
        yield return Layer("BatchNorm1d", "training, batch 6", () =>
        {
            var bn = new BatchNorm1d(3, dtype: DType.Float64);
            Randomize(bn.Gamma, 104, 0.5, 1);
            Randomize(bn.Beta, 105, 0.5, 0);
            return bn;
        }, [6, 3], 106);
        yield return Layer("BatchNorm1d", "evaluation (running statistics)", () =>
        {
            var bn = new BatchNorm1d(3, dtype: DType.Float64);
            using (Autograd.NoGrad()) bn.Forward(U(107, -2, 3, 6, 3).Detach());
            bn.Eval();
            Randomize(bn.Gamma, 108, 0.5, 1);
            return bn;
        }, [5, 3], 109);
        yield return Layer("LayerNorm", "(4, 5) over 5", () =>
        {
            var ln = new LayerNorm(5, dtype: DType.Float64);
            Randomize(ln.Weight!, 110, 0.5, 1);
            Randomize(ln.Bias!, 111, 0.5, 0);
            return ln;
        }, [4, 5], 112);
        yield return Layer("Dropout", "p = 0.4, training (same mask each call)", () => new FreshDropout(0.4, 113), [6, 5], 114);
        yield return Layer("Residual", "x + Linear(x)", () => new Residual(new Linear(4, 4, dtype: DType.Float64, generator: new Generator(115))), [3, 4], 116);
        yield return Layer("Sequential", "Linear, Tanh, Linear, Sigmoid", () =>
        {
            var generator = new Generator(117);
            return new Sequential(new Linear(3, 5, generator: generator), new Tanh(), new Linear(5, 2, generator: generator), new NN.Sigmoid()).To(DType.Float64);
        }, [4, 3], 118);
        yield return Layer("MLP", "seed 004: 3-4-2, one BatchNorm layer", () =>
        {
            var init = new Generator(119);
            return new MLP(3, 2, [4], [new Seed.Sigmoid(), new Seed.Identity()],
                (i, o) => Tensor.Randn([i, o], init, DType.Float64), o => Tensor.Zeros([1, o], DType.Float64),
                new SoftmaxCrossEntropy(), 0.1, numBnLayers: 1);
        }, [5, 3], 120);
        yield return Layer("Conv2d", "3 -> 4, k (3, 2), stride (2, 1), padding 1", () => new Conv2d(3, 4, (3, 2), (2, 1), 1, dtype: DType.Float64, generator: new Generator(121)), [2, 3, 5, 4], 122);
        yield return Layer("Conv1d", "4 -> 2, k 3, groups 2, padding same", () => new Conv1d(4, 2, 3, padding: "same", groups: 2, dtype: DType.Float64, generator: new Generator(123)), [2, 4, 6], 124);
        yield return Layer("BatchNorm2d", "training, (3, 2, 3, 2)", () =>
        {
            var bn = new BatchNorm2d(2, dtype: DType.Float64);
            Randomize(bn.Weight!, 125, 0.5, 1);
            Randomize(bn.Bias!, 126, 0.5, 0);
            return bn;
        }, [3, 2, 3, 2], 127);
        yield return Layer("AvgPool2d", "kernel 3, stride 2, padding 1", () => new AvgPool2d(3, 2, 1), [2, 2, 5, 6], 128);
        yield return Layer("ConvTranspose2d", "3 -> 2, k 3, stride 2, padding 1, output_padding 1", () =>
            new ConvTranspose2d(3, 2, 3, 2, 1, 1, dtype: DType.Float64, generator: new Generator(160)), [2, 3, 3, 2], 161);
        yield return Layer("ConvTranspose1d", "4 -> 2, k 3, stride 2, groups 2", () =>
            new ConvTranspose1d(4, 2, 3, 2, groups: 2, dtype: DType.Float64, generator: new Generator(162)), [2, 4, 4], 163);
        yield return Layer("AdaptiveMaxPool2d", "(5, 7) to (2, 3)", () => new AdaptiveMaxPool2d((2, 3)), [2, 2, 5, 7], 164);
        yield return Layer("Upsample", "bilinear, scale 2", () => new Upsample(scaleFactor: 2, mode: "bilinear"), [1, 2, 3, 3], 165);
        yield return Layer("Upsample", "nearest, size (5, 4)", () => new Upsample((5, 4)), [2, 1, 3, 3], 166);
        yield return Layer("Downsample2d", "factor 2", () => new Downsample2d(2), [2, 2, 5, 4], 167);
        yield return Layer("Upsample2d", "factor 2 (zeros between)", () => new Upsample2d(2), [1, 2, 3, 2], 168);
        yield return Layer("ZeroPad2d", "(1, 0, 2, 1)", () => new ZeroPad2d((1, 0, 2, 1)), [2, 2, 3, 3], 169);
        yield return Layer("ConstantPad2d", "1, value 0.5", () => new ConstantPad2d(1, 0.5), [1, 2, 3, 2], 170);
        yield return Layer("GroupNorm", "2 groups, 4 channels", () =>
        {
            var gn = new GroupNorm(2, 4, dtype: DType.Float64);
            Randomize(gn.Weight!, 171, 0.5, 1);
            Randomize(gn.Bias!, 172, 0.5, 0);
            return gn;
        }, [3, 4, 2, 2], 173);
        (string Name, Func<Module> Create)[] activations =
        [
            ("Identity", () => new Identity()),
            .. MyTorch.Ops.OpRegistry.Activations.Select(op => (op.CreateModule()!.GetType().Name, (Func<Module>)(() => op.CreateModule()!))),
            ("NegativeSoftplus", () => new NegativeSoftplus()), ("Bounded", () => new Bounded(-2, 3)),
        ];
        ulong seed = 130;
        foreach (var (name, create) in activations)
            yield return Layer(name, "(3, 4)", create, [3, 4], seed++, awayFromZero: true);
    }

    private static void Randomize(Tensor parameter, ulong seed, double scale, double offset)
    {
        using (Autograd.NoGrad())
            parameter.CopyFrom(Tensor.Uniform(parameter.ShapeArray, offset - scale, offset + scale, new Generator(seed), DType.Float64));
    }

    /// <summary>Dropout whose mask generator restarts at every call, so finite differences see the same mask.</summary>
    private sealed class FreshDropout(double p, ulong seed) : Module
    {
        public override Tensor Forward(Tensor input) => new Dropout(p, new Generator(seed)).Forward(input);
    }

    // ---- losses -------------------------------------------------------------------------------------------

    private static IEnumerable<GradCheckCase> LossCases()
    {
        var labels = Tensor.FromArray(new long[] { 3, 0, 4, 1 });
        Tensor OneHot()
        {
            var values = new double[20];
            foreach (var (row, label) in new[] { (0, 3), (1, 0), (2, 4), (3, 1) }) values[row * 5 + label] = 1;
            return Tensor.FromArray(values, [4, 5]);
        }
        GradCheckCase L(string name, string variant, Func<Tensor> input, Func<Tensor> target, Func<Tensor, Tensor, Tensor> loss) =>
            new("loss", name, variant, () => [input()], x => loss(x[0], target()));
        Tensor Logits() => U(150, -3, 3, 4, 5);

        yield return L("SoftmaxCrossEntropy", "one-hot targets, per example", Logits, OneHot, (x, t) => new SoftmaxCrossEntropy().Forward(x, t));
        yield return L("CrossEntropyLoss", "class indices, mean", Logits, () => labels, (x, t) => new CrossEntropyLoss().Forward(x, t));
        yield return L("CrossEntropyLoss", "probability targets, sum", Logits, () => U(151, -1, 1, 4, 5).Detach().Softmax(1),
            (x, t) => new CrossEntropyLoss(Reduction.Sum).Forward(x, t));
        yield return L("NLLLoss", "class indices, mean", () => U(152, -2, 2, 4, 5).Detach().LogSoftmax(1).RequireGrad(), () => labels,
            (x, t) => new NLLLoss().Forward(x, t));
        yield return L("MSELoss", "(3, 4), mean", () => U(153, -2, 2, 3, 4), () => U(154, -2, 2, 3, 4).Detach(), (x, t) => new MSELoss().Forward(x, t));
        yield return L("SumSquaredError", "(3, 4), seed 002's 1/2 sum", () => U(155, -2, 2, 3, 4), () => U(156, -2, 2, 3, 4).Detach(),
            (x, t) => new SumSquaredError().Forward(x, t));
        yield return L("BCELoss", "probabilities in [0.05, 0.95]", () => U(157, 0.05, 0.95, 3, 4), () => U(158, 0, 1, 3, 4).Detach().Gt(0.5),
            (x, t) => new BCELoss().Forward(x, t));
        yield return L("BCEWithLogitsLoss", "logits in [-4, 4], soft targets", () => U(159, -4, 4, 3, 4), () => U(160, 0, 1, 3, 4).Detach(),
            (x, t) => new BCEWithLogitsLoss().Forward(x, t));
    }
}
