using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// Replays fixtures/elementwise.json (tests/reference/generate_elementwise_fixtures.py, PyTorch 1.13): every element-wise
/// op's output, every input's gradient, and for the random cases the double backward (the gradient of
/// sum_k sum(grad_k * v_k) with the first gradients taken with createGraph). Edge-value cases hold ±0, ±inf, NaN,
/// subnormal and huge values: NaN must meet NaN, an infinity the same infinity, and a zero output PyTorch's sign of zero.
/// </summary>
public class ElementwiseFixtureTests
{
    private static readonly string[] RequiredOps =
    [
        "log1p", "expm1", "sin", "cos", "rsqrt", "erf", "floor", "ceil", "round", "sign", "isnan", "isinf", "isfinite", "any", "all",
        "pow_tensor", "rpow", "clamp_tensor", "exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "leaky_relu", "softplus",
        "gelu", "silu", "pow", "clamp", "add", "sub", "mul", "div", "maximum", "minimum", "where",
    ];

    // Forward-only ops; every other op has a random case with a double backward.
    private static readonly string[] NotDifferentiable = ["isnan", "isinf", "isfinite", "any", "all"];

    // Ops whose float64 output must be within a few ulps of PyTorch's (both are about as accurate as double allows).
    private static readonly string[] UlpAccurate = ["log1p", "expm1", "sin", "cos", "rsqrt", "erf"];
    private const long MaxUlps = 2;

    // Ops whose zero outputs must carry PyTorch's sign (-0 stays -0). Elsewhere the sign of a zero is not compared: the
    // existing relu, gelu, maximum, minimum and pow(x, 0.5) give +0 where PyTorch gives -0 or the other way round.
    private static readonly string[] SignedZeros = ["log1p", "expm1", "sin", "erf", "floor", "ceil", "round", "sign", "neg", "abs", "tanh", "rsqrt"];

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => FixtureFile.LoadNamedCases("elementwise.json"));

    public static TheoryData<string> CaseNames() => FixtureFile.Names(Cases.Value.Keys);

    [Fact]
    public void FixturesCoverEveryOp_WithADoubleBackward()
    {
        var cases = Cases.Value.Values.ToList();
        var missing = new List<string>();
        foreach (var op in RequiredOps)
            foreach (var dtype in new[] { "float64", "float32" })
            {
                var ofOp = cases.Where(c => c.GetProperty("op").GetString() == op && c.GetProperty("dtype").GetString() == dtype).ToList();
                if (ofOp.Count == 0) missing.Add($"{op} ({dtype})");
                else if (!NotDifferentiable.Contains(op) && !ofOp.Any(c => c.TryGetProperty("grad_grads", out _))) missing.Add($"{op} ({dtype}) double backward");
            }
        Assert.True(missing.Count == 0, "elementwise.json has no case for: " + string.Join(", ", missing));
        var unknown = cases.Select(c => c.GetProperty("op").GetString()!).Distinct().Where(op => !RequiredOps.Contains(op)).ToList();
        Assert.True(unknown.Count == 0, "elementwise.json has ops missing from RequiredOps: " + string.Join(", ", unknown));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        string op = c.GetProperty("op").GetString()!;
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var args = c.GetProperty("args");
        var inputs = new List<Tensor>();
        var wrt = new List<Tensor>();
        foreach (var spec in c.GetProperty("inputs").EnumerateArray())
        {
            bool requiresGrad = !spec.TryGetProperty("requires_grad", out var rg) || rg.GetBoolean();
            var t = ToTensor(spec, dtype, requiresGrad);
            inputs.Add(t);
            if (requiresGrad) wrt.Add(t);
        }

        var output = Apply(op, args, [.. inputs], name);
        Assert.True(output.DType == dtype, $"{name}: output dtype is {output.DType.Name()}, expected {dtype.Name()}.");
        AssertMatches(name, "output", c.GetProperty("output"), output, dtype, signOfZero: SignedZeros.Contains(op),
            maxUlps: dtype == DType.Float64 && UlpAccurate.Contains(op) ? MaxUlps : null, known: Known(op, args, inputs[0]));
        if (c.GetProperty("grad_output").ValueKind == JsonValueKind.Null) return;

        bool twice = c.TryGetProperty("grad_grads", out var expectedSecond);
        var g = ToTensor(c.GetProperty("grad_output"), dtype, requiresGrad: false);
        var grads = Autograd.Grad([output], wrt, [g], createGraph: twice, allowUnused: true, materializeGrads: true);
        var expected = c.GetProperty("grads").EnumerateArray().Where(e => e.ValueKind != JsonValueKind.Null).ToArray();
        for (int k = 0; k < wrt.Count; k++)
            AssertMatches(name, $"gradient of input {k}", expected[k], grads[k]!, dtype, signOfZero: false, known: Known(op, args, inputs[0]));
        if (!twice) return;

        var v = c.GetProperty("v").EnumerateArray().Select(e => ToTensor(e, dtype, requiresGrad: false)).ToArray();
        Tensor? total = null;
        for (int k = 0; k < wrt.Count; k++)
        {
            var term = (grads[k]! * v[k]).Sum();
            total = total is null ? term : total + term;
        }
        var second = total!.RequiresGrad
            ? Autograd.Grad([total], wrt, allowUnused: true, materializeGrads: true)
            : [.. wrt.Select(Tensor.ZerosLike)];
        var expectedGradGrads = expectedSecond.EnumerateArray().ToArray();
        for (int k = 0; k < wrt.Count; k++)
            AssertMatches(name, $"double backward of input {k}", expectedGradGrads[k], second[k]!, dtype, signOfZero: false);
    }

    private static Tensor Apply(string op, JsonElement args, Tensor[] x, string name) => op switch
    {
        "log1p" => x[0].Log1p(),
        "expm1" => x[0].Expm1(),
        "sin" => x[0].Sin(),
        "cos" => x[0].Cos(),
        "rsqrt" => x[0].Rsqrt(),
        "erf" => x[0].Erf(),
        "floor" => x[0].Floor(),
        "ceil" => x[0].Ceil(),
        "round" => x[0].Round(),
        "sign" => x[0].Sign(),
        "isnan" => x[0].IsNan(),
        "isinf" => x[0].IsInf(),
        "isfinite" => x[0].IsFinite(),
        "any" => args.TryGetProperty("dim", out var anyDim) ? x[0].Any(anyDim.GetInt32(), args.GetProperty("keepDim").GetBoolean()) : x[0].Any(),
        "all" => args.TryGetProperty("dim", out var allDim) ? x[0].All(allDim.GetInt32(), args.GetProperty("keepDim").GetBoolean()) : x[0].All(),
        "pow_tensor" => x[0].Pow(x[1]),
        "rpow" => Tensor.Pow(args.GetProperty("base").GetDouble(), x[0]),
        "clamp_tensor" => ClampTensor(args, x),
        "exp" => x[0].Exp(),
        "log" => x[0].Log(),
        "sqrt" => x[0].Sqrt(),
        "abs" => x[0].Abs(),
        "neg" => -x[0],
        "sigmoid" => x[0].Sigmoid(),
        "tanh" => x[0].Tanh(),
        "relu" => x[0].Relu(),
        "leaky_relu" => x[0].LeakyRelu(args.GetProperty("slope").GetDouble()),
        "softplus" => x[0].Softplus(),
        "gelu" => x[0].Gelu(),
        "silu" => x[0].Silu(),
        "pow" => x[0].Pow(args.GetProperty("exponent").GetDouble()),
        "clamp" => x[0].Clamp(args.GetProperty("min").GetDouble(), args.GetProperty("max").GetDouble()),
        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],
        "maximum" => Tensor.Maximum(x[0], x[1]),
        "minimum" => Tensor.Minimum(x[0], x[1]),
        "where" => Tensor.Where(x[0], x[1], x[2]),
        _ => throw new InvalidDataException($"{name}: the test does not know op '{op}'; add it to Apply."),
    };

    private static Tensor ClampTensor(JsonElement args, Tensor[] x)
    {
        string bounds = args.TryGetProperty("bounds", out var b) ? b.GetString()! : "both";
        var y = bounds switch
        {
            "min" => x[0].Clamp(x[1], null),
            "max" => x[0].Clamp(null, x[1]),
            _ => Tensor.Clamp(x[0], x[1], x[2]),
        };
        return args.TryGetProperty("times", out _) ? y * double.PositiveInfinity : y;
    }

    private static double[] Data(JsonElement spec) => spec.GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity }
        : e.GetDouble()).ToArray();

    private static Tensor ToTensor(JsonElement spec, DType dtype, bool requiresGrad)
    {
        var shape = FixtureFile.ShapeOf(spec);
        var data = Data(spec);
        return dtype == DType.Float64
            ? Tensor.FromArray(data, shape, requiresGrad)
            : Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape, requiresGrad);
    }

    /// <summary>
    /// The known differences from PyTorch 1.13 at one element of a unary op, given its input: sign(NaN) is NaN (PyTorch:
    /// 0), so abs's gradient at NaN is NaN too (PyTorch: 0); relu's gradient at NaN is 0 (PyTorch: g); pow(x, 0.5) at
    /// -inf and -0 follows C's pow (+inf, +0 and their gradients) where PyTorch takes sqrt (NaN, -0, -inf).
    /// </summary>
    private static Func<int, double, double, bool> Known(string op, JsonElement args, Tensor x)
    {
        var input = x.ToArray<double>();
        return (i, want, got) => i < input.Length && (
            (op is "sign" or "abs" && double.IsNaN(input[i]) && want == 0 && double.IsNaN(got)) ||
            (op == "relu" && double.IsNaN(input[i]) && got == 0) ||
            (op == "pow" && args.GetProperty("exponent").GetDouble() == 0.5 && (double.IsNegativeInfinity(input[i]) || IsNegativeZero(input[i]))));
    }

    private static bool IsNegativeZero(double v) => v == 0 && double.IsNegative(v);

    private static void AssertMatches(string name, string what, JsonElement expected, Tensor actual, DType dtype, bool signOfZero,
        long? maxUlps = null, Func<int, double, double, bool>? known = null)
    {
        FixtureFile.AssertShape(name, what, expected, actual);
        var want = Data(expected);
        var got = actual.ToArray<double>();
        var report = new StringBuilder();
        int mismatches = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (Agrees(want[i], got[i], dtype, signOfZero, maxUlps) || (known is not null && known(i, want[i], got[i]))) continue;
            if (mismatches++ < 10)
                report.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}  element {i}: MyTorch {got[i]:R}, PyTorch {want[i]:R}");
        }
        if (mismatches > 0) Assert.Fail($"{name}: {what} differs from PyTorch at {mismatches} of {want.Length} element(s):{report}");
    }

    private static bool Agrees(double want, double got, DType dtype, bool signOfZero, long? maxUlps)
    {
        if (double.IsNaN(want) || double.IsNaN(got)) return double.IsNaN(want) && double.IsNaN(got);
        if (double.IsInfinity(want) || double.IsInfinity(got)) return want == got;
        if (want == 0 && got == 0) return !signOfZero || double.IsNegative(want) == double.IsNegative(got);
        if (maxUlps is long ulps) return Math.Abs(BitConverter.DoubleToInt64Bits(want) - BitConverter.DoubleToInt64Bits(got)) <= ulps;
        double tolerance = dtype == DType.Float64 ? 1e-10 * Math.Max(Math.Abs(want), 1) : 1e-5 * Math.Max(Math.Abs(want), 0.1);
        return Math.Abs(want - got) <= tolerance;
    }
}
