using System.Text.Json;
using MyTorch.Tests.Reference;
using Xunit;
using static MyTorch.Tests.Reference.FixtureFile;

namespace MyTorch.Tests.Shape;

/// <summary>
/// Replays fixtures/shapes.json (tests/reference/generate_shape_fixtures.py, PyTorch 1.13): for each shape or indexing
/// case, every output, every input's gradient for the case's upstream gradients, and the double backward (the gradient of
/// sum(input gradients * v) with respect to the upstream gradients, with createGraph).
/// </summary>
public class ShapeFixtureTests
{
    private static readonly string[] RequiredOps =
    [
        "stack", "split_size", "split_sizes", "chunk", "flip", "roll", "repeat", "expand", "squeeze_all", "T", "mT", "narrow",
        "gather", "scatter", "scatter_value", "scatter_add", "index_add", "index_select", "masked_fill", "index", "einsum", "outer",
    ];

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => LoadNamedCases("shapes.json"));

    public static TheoryData<string> CaseNames() => Names(Cases.Value.Keys);

    [Fact]
    public void FixturesCoverEveryOp()
    {
        var covered = Cases.Value.Values.Select(c => (c.GetProperty("op").GetString()!, c.GetProperty("dtype").GetString()!)).ToHashSet();
        foreach (var op in RequiredOps)
            foreach (var dtype in new[] { "float64", "float32" })
                Assert.True(covered.Contains((op, dtype)), $"shapes.json has no {dtype} case of {op}.");
        Assert.All(covered, c => Assert.Contains(c.Item1, RequiredOps));
        Assert.True(Cases.Value.Count >= 200, $"shapes.json has {Cases.Value.Count} cases.");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var inputs = new List<Tensor>();
        var differentiable = new List<int>();
        foreach (var spec in c.GetProperty("inputs").EnumerateArray())
        {
            bool requiresGrad = !spec.TryGetProperty("requires_grad", out var rg) || rg.GetBoolean();
            inputs.Add(ToTensor(spec, dtype, requiresGrad));
            if (requiresGrad) differentiable.Add(inputs.Count - 1);
        }
        var outputs = Apply(c.GetProperty("op").GetString()!, c.GetProperty("args"), inputs.ToArray());
        var expected = c.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.True(expected.Length == outputs.Length, $"{name}: {outputs.Length} outputs, PyTorch has {expected.Length}.");
        for (int i = 0; i < outputs.Length; i++)
        {
            AssertShape(name, $"output {i}", expected[i], outputs[i]);
            Assert.Equal(dtype, outputs[i].DType);
            AssertClose(name, $"output {i}", expected[i], outputs[i], dtype);
        }
        if (c.GetProperty("grad_outputs").ValueKind == JsonValueKind.Null) return;

        var gradOutputs = c.GetProperty("grad_outputs").EnumerateArray().Select(g => ToTensor(g, dtype, requiresGrad: true)).ToArray();
        var wrt = differentiable.Select(i => inputs[i]).ToArray();
        var grads = Autograd.Grad(outputs, wrt, gradOutputs, createGraph: true, materializeGrads: true);
        var expectedGrads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int k = 0; k < wrt.Length; k++)
        {
            var want = expectedGrads[differentiable[k]];
            AssertShape(name, $"gradient of input {differentiable[k]}", want, grads[k]!);
            Assert.Equal(dtype, grads[k]!.DType);
            AssertClose(name, $"gradient of input {differentiable[k]}", want, grads[k]!, dtype);
        }
        if (c.GetProperty("double_grads").ValueKind == JsonValueKind.Null) return;

        var vs = c.GetProperty("vs").EnumerateArray().Select(v => ToTensor(v, dtype, requiresGrad: false)).ToArray();
        var used = Enumerable.Range(0, grads.Length).Where(k => grads[k]!.RequiresGrad).ToArray();
        var doubles = Autograd.Grad(used.Select(k => grads[k]!).ToArray(), gradOutputs, used.Select(k => (Tensor?)vs[k]).ToArray(), materializeGrads: true);
        var expectedDoubles = c.GetProperty("double_grads").EnumerateArray().ToArray();
        for (int j = 0; j < gradOutputs.Length; j++)
            AssertClose(name, $"double backward to upstream gradient {j}", expectedDoubles[j], doubles[j]!, dtype);
    }

    private static Tensor[] Apply(string op, JsonElement args, Tensor[] x) => op switch
    {
        "stack" => [Tensor.Stack(x, Int(args, "dim"))],
        "split_size" => x[0].Split(Int(args, "split_size"), Int(args, "dim")),
        "split_sizes" => x[0].Split(Ints(args, "sizes"), Int(args, "dim")),
        "chunk" => x[0].Chunk(Int(args, "chunks"), Int(args, "dim")),
        "flip" => [x[0].Flip(Ints(args, "dims"))],
        "roll" => [x[0].Roll(Ints(args, "shifts"), Ints(args, "dims"))],
        "repeat" => [x[0].Repeat(Ints(args, "repeats"))],
        "expand" => [x[0].Expand(Ints(args, "sizes"))],
        "squeeze_all" => [x[0].Squeeze()],
        "T" => [x[0].T],
        "mT" => [x[0].mT],
        "narrow" => [x[0].Narrow(Int(args, "dim"), Int(args, "start"), Int(args, "length"))],
        "gather" => [x[0].Gather(Int(args, "dim"), x[1])],
        "scatter" => [x[0].Scatter(Int(args, "dim"), x[1], x[2])],
        "scatter_value" => [x[0].Scatter(Int(args, "dim"), x[1], args.GetProperty("value").GetDouble())],
        "scatter_add" => [x[0].ScatterAdd(Int(args, "dim"), x[1], x[2])],
        "index_add" => [x[0].IndexAdd(Int(args, "dim"), x[1], x[2])],
        "index_select" => [x[0].IndexSelect(Int(args, "dim"), x[1])],
        "masked_fill" => [x[0].MaskedFill(x[1], args.GetProperty("value").GetDouble())],
        "index" => [x[0][Indices(args.GetProperty("index"), x)]],
        "einsum" => [Tensor.Einsum(args.GetProperty("equation").GetString()!, x)],
        "outer" => [Tensor.Outer(x[0], x[1])],
        _ => throw new InvalidDataException($"the test does not know op '{op}'."),
    };

    private static TensorIndex[] Indices(JsonElement spec, Tensor[] x) =>
        spec.EnumerateArray().Select(s =>
        {
            if (s.TryGetProperty("int", out var i)) return TensorIndex.Position(i.GetInt32());
            if (s.TryGetProperty("slice", out var slice))
            {
                var parts = slice.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Null ? (int?)null : p.GetInt32()).ToArray();
                return TensorIndex.Slice(parts[0], parts[1], parts[2] ?? 1);
            }
            if (s.TryGetProperty("none", out _)) return TensorIndex.NewAxis;
            if (s.TryGetProperty("ellipsis", out _)) return TensorIndex.Ellipsis;
            var t = x[s.GetProperty("tensor").GetInt32()];
            return t.DType == DType.Int64 ? TensorIndex.Indices(t) : TensorIndex.Mask(t);
        }).ToArray();

    private static int Int(JsonElement args, string key) => args.GetProperty(key).GetInt32();
    private static int[] Ints(JsonElement args, string key) => args.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
