using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch;
using Xunit;
using static MyTorch.Tests.Reference.FixtureFile;

namespace MyTorch.Tests.Reference;

/// <summary>
/// Replays the PyTorch reference cases in fixtures/ops.json (written by tests/reference/generate_fixtures.py)
/// through MyTorch: each case's forward output, and the gradient of every input for the case's upstream
/// gradient, must match PyTorch's. One theory row per case, so a failure names the op and variant.
/// </summary>
public class PyTorchFixtureTests
{
    /// <summary>Every op name the fixtures must cover; a generator change that drops one fails <see cref="FixturesCoverEveryOp"/>.</summary>
    private static readonly string[] RequiredOps =
    [
        "add", "sub", "mul", "div", "add_scalar", "radd_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "rmul_scalar",
        "div_scalar", "rdiv_scalar", "neg", "pow", "exp", "log", "sqrt", "abs", "clamp", "maximum", "minimum", "where",
        "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "gelu", "silu", "matmul", "sum", "mean", "max", "min", "var",
        "argmax", "logsumexp", "softmax", "log_softmax", "transpose", "T", "mT", "permute", "reshape", "unsqueeze", "squeeze",
        "broadcast_to", "narrow", "concat", "index_select", "gt", "ge", "lt", "le", "eq", "ne",
    ];

    private const int MinimumCaseCount = 500;

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(LoadCases);

    private static Dictionary<string, JsonElement> LoadCases() => FixtureFile.LoadNamedCases("ops.json");

    public static TheoryData<string> CaseNames() => FixtureFile.Names(Cases.Value.Keys);

    [Fact]
    public void FixturesCoverEveryOp()
    {
        var cases = Cases.Value.Values.ToList();
        Assert.True(cases.Count >= MinimumCaseCount,
            $"ops.json has {cases.Count} cases; expected at least {MinimumCaseCount}. Regenerate it with tests/reference/generate_fixtures.py.");
        var covered = cases
            .Select(c => (Op: c.GetProperty("op").GetString()!, DType: c.GetProperty("dtype").GetString()!))
            .ToHashSet();
        var missing = new List<string>();
        foreach (var op in RequiredOps)
            foreach (var dtype in new[] { "float64", "float32" })
                if (!covered.Contains((op, dtype))) missing.Add($"{op} ({dtype})");
        Assert.True(missing.Count == 0, "ops.json has no case for: " + string.Join(", ", missing));
        var unknown = covered.Select(c => c.Op).Distinct().Where(op => !RequiredOps.Contains(op)).ToList();
        Assert.True(unknown.Count == 0, "ops.json has ops missing from RequiredOps: " + string.Join(", ", unknown));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        string op = c.GetProperty("op").GetString()!;
        var dtype = c.GetProperty("dtype").GetString() switch
        {
            "float64" => DType.Float64,
            "float32" => DType.Float32,
            var other => throw new InvalidDataException($"{name}: unknown dtype '{other}'."),
        };
        var args = c.GetProperty("args");

        var inputs = new List<Tensor>();
        var differentiable = new List<int>();
        foreach (var spec in c.GetProperty("inputs").EnumerateArray())
        {
            bool requiresGrad = !spec.TryGetProperty("requires_grad", out var rg) || rg.GetBoolean();
            // A bool input (the condition of where) becomes 0/1 in the case's dtype, as MyTorch's comparisons produce.
            inputs.Add(ToTensor(spec, dtype, requiresGrad));
            if (requiresGrad) differentiable.Add(inputs.Count - 1);
        }

        var output = Apply(op, args, inputs.ToArray(), name);
        var expected = c.GetProperty("output");
        string expectedKind = expected.TryGetProperty("dtype", out var kind) ? kind.GetString()! : "";
        AssertShape(name, "output", expected, output);
        if (expectedKind == "int64")
        {
            Assert.True(output.DType == DType.Int64, $"{name}: output dtype is {output.DType.Name()}, PyTorch's is int64.");
            var actual = output.ToArray<long>();
            var want = expected.GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            for (int i = 0; i < want.Length; i++)
                Assert.True(actual[i] == want[i], $"{name}: output element {i}: MyTorch {actual[i]}, PyTorch {want[i]}.");
        }
        else
        {
            // PyTorch's comparisons return bool; MyTorch's return 0/1 in the operands' dtype (an intentional difference).
            Assert.True(output.DType == dtype, $"{name}: output dtype is {output.DType.Name()}, expected {dtype.Name()}.");
            AssertClose(name, "output", expected, output, dtype);
        }

        if (c.GetProperty("grad_output").ValueKind == JsonValueKind.Null) return;

        var gradOutput = ToTensor(c.GetProperty("grad_output"), dtype, requiresGrad: false);
        var wrt = differentiable.Select(i => inputs[i]).ToArray();
        var grads = global::MyTorch.Autograd.Grad([output], wrt, [gradOutput]);
        var expectedGrads = c.GetProperty("grads").EnumerateArray().ToArray();
        Assert.True(expectedGrads.Length == inputs.Count, $"{name}: {expectedGrads.Length} expected gradients for {inputs.Count} inputs.");
        for (int k = 0; k < wrt.Length; k++)
        {
            int i = differentiable[k];
            var want = expectedGrads[i];
            if (want.ValueKind == JsonValueKind.Null) continue;
            var got = grads[k];
            Assert.True(got is not null, $"{name}: MyTorch gave no gradient for input {i}.");
            AssertShape(name, $"gradient of input {i}", want, got!);
            Assert.True(got!.DType == dtype, $"{name}: gradient of input {i} has dtype {got.DType.Name()}, expected {dtype.Name()}.");
            AssertClose(name, $"gradient of input {i}", want, got, dtype);
        }
    }

    private static Tensor Apply(string op, JsonElement args, Tensor[] x, string name) => op switch
    {
        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],
        "add_scalar" => x[0] + Number(args, "scalar"),
        "radd_scalar" => Number(args, "scalar") + x[0],
        "sub_scalar" => x[0] - Number(args, "scalar"),
        "rsub_scalar" => Number(args, "scalar") - x[0],
        "mul_scalar" => x[0] * Number(args, "scalar"),
        "rmul_scalar" => Number(args, "scalar") * x[0],
        "div_scalar" => x[0] / Number(args, "scalar"),
        "rdiv_scalar" => Number(args, "scalar") / x[0],
        "neg" => -x[0],
        "pow" => x[0].Pow(Number(args, "exponent")),
        "exp" => x[0].Exp(),
        "log" => x[0].Log(),
        "sqrt" => x[0].Sqrt(),
        "abs" => x[0].Abs(),
        "clamp" => x[0].Clamp(OptionalNumber(args, "min"), OptionalNumber(args, "max")),
        "maximum" => Tensor.Maximum(x[0], x[1]),
        "minimum" => Tensor.Minimum(x[0], x[1]),
        "where" => Tensor.Where(x[0], x[1], x[2]),
        "sigmoid" => x[0].Sigmoid(),
        "tanh" => x[0].Tanh(),
        "relu" => x[0].Relu(),
        "leaky_relu" => x[0].LeakyRelu(Number(args, "slope")),
        "softplus" => x[0].Softplus(),
        "gelu" => x[0].Gelu(),
        "silu" => x[0].Silu(),
        "matmul" => Tensor.MatMul(x[0], x[1]),
        "sum" => HasDim(args) ? x[0].Sum(Int(args, "dim"), Bool(args, "keepDim")) : x[0].Sum(),
        "mean" => HasDim(args) ? x[0].Mean(Int(args, "dim"), Bool(args, "keepDim")) : x[0].Mean(),
        "max" => HasDim(args) ? x[0].Max(Int(args, "dim"), Bool(args, "keepDim")) : x[0].Max(),
        "min" => HasDim(args) ? x[0].Min(Int(args, "dim"), Bool(args, "keepDim")) : x[0].Min(),
        "var" => HasDim(args)
            ? x[0].Var(Int(args, "dim"), Bool(args, "keepDim"), Bool(args, "unbiased"))
            : x[0].Var(Bool(args, "unbiased")),
        "argmax" => HasDim(args) ? x[0].ArgMax(Int(args, "dim"), Bool(args, "keepDim")) : x[0].ArgMax(),
        "logsumexp" => x[0].LogSumExp(Int(args, "dim"), Bool(args, "keepDim")),
        "softmax" => x[0].Softmax(Int(args, "dim")),
        "log_softmax" => x[0].LogSoftmax(Int(args, "dim")),
        "transpose" => x[0].Transpose(Int(args, "dim0"), Int(args, "dim1")),
        "T" => x[0].T,
        "mT" => x[0].mT,
        "permute" => x[0].Permute(Ints(args, "dims")),
        "reshape" => x[0].Reshape(Ints(args, "shape")),
        "unsqueeze" => x[0].Unsqueeze(Int(args, "dim")),
        "squeeze" => x[0].Squeeze(Int(args, "dim")),
        "broadcast_to" => x[0].BroadcastTo(Ints(args, "shape")),
        "narrow" => x[0].Narrow(Int(args, "dim"), Int(args, "start"), Int(args, "length")),
        "concat" => Tensor.Concat(x, Int(args, "dim")),
        "index_select" => x[0].IndexSelect(Int(args, "dim"),
            Tensor.FromArray(args.GetProperty("index").EnumerateArray().Select(e => e.GetInt64()).ToArray())),
        "gt" => x[0].Gt(x[1]),
        "ge" => x[0].Ge(x[1]),
        "lt" => x[0].Lt(x[1]),
        "le" => x[0].Le(x[1]),
        "eq" => x[0].Eq(x[1]),
        "ne" => x[0].Ne(x[1]),
        _ => throw new InvalidDataException($"{name}: the test does not know op '{op}'; add it to Apply."),
    };

    private static bool HasDim(JsonElement args) => args.TryGetProperty("dim", out _);
    private static double Number(JsonElement args, string key) => args.GetProperty(key).GetDouble();
    private static double? OptionalNumber(JsonElement args, string key) =>
        args.TryGetProperty(key, out var value) ? value.GetDouble() : null;
    private static int Int(JsonElement args, string key) => args.GetProperty(key).GetInt32();
    private static bool Bool(JsonElement args, string key) => args.GetProperty(key).GetBoolean();
    private static int[] Ints(JsonElement args, string key) => args.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
