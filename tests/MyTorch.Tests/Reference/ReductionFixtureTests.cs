using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// Replays fixtures/reductions.json (written by tests/reference/generate_reduction_fixtures.py with PyTorch 1.13) through
/// MyTorch's reductions: every output (values, and int64 indices exactly), the input gradient for the case's upstream
/// gradient, and for the cases that have one the grad of grad in a random direction. NaN and infinities must be in the
/// same places. One theory row per case.
/// </summary>
public class ReductionFixtureTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => FixtureFile.LoadNamedCases("reductions.json"));

    public static TheoryData<string> CaseNames() => FixtureFile.Names(Cases.Value.Keys);

    [Fact]
    public void FixturesCoverEveryOpInBothDTypesAndSomeDoubleBackward()
    {
        var ops = Cases.Value.Values.Select(c => (c.GetProperty("op").GetString()!, c.GetProperty("dtype").GetString()!)).ToHashSet();
        foreach (var op in Ops)
            foreach (var dtype in new[] { "float64", "float32" })
                Assert.Contains((op, dtype), ops);
        Assert.True(Cases.Value.Values.Count(c => c.TryGetProperty("grad_grad", out _)) >= 10);
    }

    private static readonly string[] Ops =
    [
        "sum_dims", "mean_dims", "var_dims", "std_dims", "std", "prod", "cumsum", "cumprod", "norm", "logsumexp_all", "argmin_all",
        "argmax_all", "max_dim", "min_dim", "sort", "topk", "median_all", "median_dim", "softmax", "log_softmax", "logsumexp",
    ];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var args = c.GetProperty("args");
        string op = c.GetProperty("op").GetString()!;
        var x = ToTensor(c.GetProperty("input"), dtype, requiresGrad: true);
        var outputs = Apply(op, x, args);
        var expected = c.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, outputs.Length);
        for (int i = 0; i < outputs.Length; i++) AssertMatches(name, $"output {i}", expected[i], outputs[i], dtype);

        if (!c.TryGetProperty("input_grad", out var inputGrad)) return;
        var g = ToTensor(c.GetProperty("grad_output"), dtype, requiresGrad: false);
        bool twice = c.TryGetProperty("grad_grad", out var gradGrad);
        var dx = Autograd.Grad(outputs[0], x, g, createGraph: twice)!;
        AssertMatches(name, "input gradient", inputGrad, dx, dtype);
        if (!twice) return;
        var v = ToTensor(c.GetProperty("direction"), dtype, requiresGrad: false);
        var ddx = dx.RequiresGrad ? Autograd.Grad(dx, x, v, materializeGrads: true, allowUnused: true)! : Tensor.ZerosLike(x);
        AssertMatches(name, "grad of grad", gradGrad, ddx, dtype);
    }

    private static Tensor[] Apply(string op, Tensor x, JsonElement a)
    {
        int[] Dims(string key) => a.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int Int(string key) => a.GetProperty(key).GetInt32();
        bool Bool(string key) => a.GetProperty(key).GetBoolean();
        bool IsNull(string key) => a.GetProperty(key).ValueKind == JsonValueKind.Null;
        double P() => Number(a.GetProperty("p"));
        static Tensor[] Pair((Tensor Values, Tensor Indices) r) => [r.Values, r.Indices];
        return op switch
        {
            "softmax" => [x.Softmax(Int("dim"))],
            "log_softmax" => [x.LogSoftmax(Int("dim"))],
            "logsumexp" => [x.LogSumExp(Int("dim"), Bool("keepdim"))],
            "sum_dims" => [x.Sum(Dims("dims"), Bool("keepdim"))],
            "mean_dims" => [x.Mean(Dims("dims"), Bool("keepdim"))],
            "var_dims" => [x.Var(Dims("dims"), Bool("keepdim"), Bool("unbiased"))],
            "std_dims" => [x.Std(Dims("dims"), Bool("keepdim"), Bool("unbiased"))],
            "std" => [IsNull("dim") ? x.Std(Bool("unbiased")) : x.Std(Int("dim"), Bool("keepdim"), Bool("unbiased"))],
            "prod" => [IsNull("dim") ? x.Prod() : x.Prod(Int("dim"), Bool("keepdim"))],
            "cumsum" => [x.Cumsum(Int("dim"))],
            "cumprod" => [x.Cumprod(Int("dim"))],
            "norm" => [IsNull("dims") ? x.Norm(P()) : x.Norm(P(), Dims("dims"), Bool("keepdim"))],
            "logsumexp_all" => [x.LogSumExp()],
            "argmin_all" => [x.ArgMin()],
            "argmax_all" => [x.ArgMax()],
            "max_dim" => Pair(x.MaxWithIndices(Int("dim"), Bool("keepdim"))),
            "min_dim" => Pair(x.MinWithIndices(Int("dim"), Bool("keepdim"))),
            "sort" => Pair(x.Sort(Int("dim"), Bool("descending"))),
            "topk" => Pair(x.TopK(Int("k"), Int("dim"), Bool("largest"))),
            "median_all" => [x.Median()],
            "median_dim" => Pair(x.Median(Int("dim"), Bool("keepdim"))),
            _ => throw new InvalidDataException($"unknown op '{op}'"),
        };
    }

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            var other => throw new InvalidDataException($"bad number '{other}'"),
        }
        : e.GetDouble();

    private static bool IsIndices(JsonElement spec) => spec.TryGetProperty("dtype", out var kind) && kind.GetString() == "int64";

    private static Tensor ToTensor(JsonElement spec, DType dtype, bool requiresGrad)
    {
        var shape = FixtureFile.ShapeOf(spec);
        var data = spec.GetProperty("data").EnumerateArray().Select(Number).ToArray();
        return dtype == DType.Float64
            ? Tensor.FromArray(data, shape, requiresGrad)
            : Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape, requiresGrad);
    }

    private static void AssertMatches(string name, string what, JsonElement expected, Tensor actual, DType dtype)
    {
        FixtureFile.AssertShape(name, what, expected, actual);
        if (IsIndices(expected))
        {
            Assert.Equal(DType.Int64, actual.DType);
            var wantIndices = expected.GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.True(wantIndices.SequenceEqual(actual.ToArray<long>()),
                $"{name}: {what} is [{string.Join(", ", actual.ToArray<long>())}], PyTorch's [{string.Join(", ", wantIndices)}].");
            return;
        }
        Assert.Equal(dtype, actual.DType);
        var want = expected.GetProperty("data").EnumerateArray().Select(Number).ToArray();
        var got = actual.ToArray<double>();
        Assert.Equal(want.Length, got.Length);
        var report = new StringBuilder();
        int mismatches = 0;
        for (int i = 0; i < want.Length; i++)
        {
            bool same;
            if (!double.IsFinite(want[i]) || !double.IsFinite(got[i])) same = want[i].Equals(got[i]);
            else
            {
                double tolerance = dtype == DType.Float64 ? 1e-10 * Math.Max(Math.Abs(want[i]), 1) : 1e-5 * Math.Max(Math.Abs(want[i]), 0.1);
                same = Math.Abs(got[i] - want[i]) <= tolerance;
            }
            if (same) continue;
            if (mismatches++ < 10)
                report.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}  element {i}: MyTorch {got[i]:R}, PyTorch {want[i]:R}");
        }
        Assert.True(mismatches == 0, $"{name}: {what} differs from PyTorch at {mismatches} of {want.Length} element(s):{report}");
    }
}
