using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch.Losses;
using Xunit;

using MyTorch.Tests.Reference;

namespace MyTorch.Tests.Losses;

/// <summary>
/// Replays the PyTorch reference cases in fixtures/losses.json (written by tests/reference/generate_loss_fixtures.py)
/// through MyTorch's losses: each case's loss, and the input gradient for the case's upstream gradient, must
/// match PyTorch's. One theory row per case, so a failure names the loss, target kind, reduction and dtype.
/// </summary>
public class LossFixtureTests
{
    // float64: |mine - torch| <= 1e-10 * max(|torch|, 1).
    private const double Float64Relative = 1e-10;
    // float32: |mine - torch| <= 1e-5 * max(|torch|, 0.1).
    private const double Float32Relative = 1e-5;
    private const double Float32Floor = 0.1;
    private const int MaxReportedMismatches = 10;

    private static readonly string[] RequiredLosses =
    [
        nameof(SoftmaxCrossEntropy), nameof(CrossEntropyLoss), nameof(NLLLoss), nameof(MSELoss), nameof(SumSquaredError),
        nameof(BCELoss), nameof(BCEWithLogitsLoss),
    ];

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(LoadCases);

    private static Dictionary<string, JsonElement> LoadCases() => FixtureFile.LoadNamedCases("losses.json");

    public static TheoryData<string> CaseNames() => FixtureFile.Names(Cases.Value.Keys);

    [Fact]
    public void FixturesCoverEveryLossReductionAndDType()
    {
        var covered = Cases.Value.Values
            .Select(c => (Loss: c.GetProperty("loss").GetString()!, Reduction: c.GetProperty("reduction").GetString()!,
                DType: c.GetProperty("dtype").GetString()!))
            .ToHashSet();
        var missing = new List<string>();
        foreach (var loss in RequiredLosses)
            foreach (var reduction in new[] { "mean", "sum", "none" })
                foreach (var dtype in new[] { "float64", "float32" })
                    if (!covered.Contains((loss, reduction, dtype))) missing.Add($"{loss} {reduction} {dtype}");
        Assert.True(missing.Count == 0, "losses.json has no case for: " + string.Join(", ", missing));

        // Both target kinds of the cross-entropy losses are covered.
        foreach (var loss in new[] { nameof(SoftmaxCrossEntropy), nameof(CrossEntropyLoss) })
        {
            var kinds = Cases.Value.Values.Where(c => c.GetProperty("loss").GetString() == loss)
                .Select(c => c.GetProperty("target").TryGetProperty("dtype", out var d) ? d.GetString() : "float")
                .ToHashSet();
            Assert.True(kinds.SetEquals(["int64", "float"]), $"{loss}: fixtures cover target kinds {string.Join(", ", kinds)}.");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var dtype = c.GetProperty("dtype").GetString() switch
        {
            "float64" => DType.Float64,
            "float32" => DType.Float32,
            var other => throw new InvalidDataException($"{name}: unknown dtype '{other}'."),
        };
        var reduction = c.GetProperty("reduction").GetString() switch
        {
            "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            "none" => Reduction.None,
            var other => throw new InvalidDataException($"{name}: unknown reduction '{other}'."),
        };
        Loss loss = c.GetProperty("loss").GetString() switch
        {
            nameof(SoftmaxCrossEntropy) => new SoftmaxCrossEntropy(reduction),
            nameof(CrossEntropyLoss) => new CrossEntropyLoss(reduction),
            nameof(NLLLoss) => new NLLLoss(reduction),
            nameof(MSELoss) => new MSELoss(reduction),
            nameof(SumSquaredError) => new SumSquaredError(reduction),
            nameof(BCELoss) => new BCELoss(reduction),
            nameof(BCEWithLogitsLoss) => new BCEWithLogitsLoss(reduction),
            var other => throw new InvalidDataException($"{name}: the test does not know loss '{other}'."),
        };

        var input = ToTensor(c.GetProperty("input"), dtype, requiresGrad: true);
        var target = ToTensor(c.GetProperty("target"), dtype, requiresGrad: false);
        var output = loss.Forward(input, target);
        var expected = c.GetProperty("output");
        AssertShape(name, "loss", expected, output);
        Assert.True(output.DType == dtype, $"{name}: loss has dtype {output.DType.Name()}, expected {dtype.Name()}.");
        AssertClose(name, "loss", expected, output, dtype);

        var gradOutput = ToTensor(c.GetProperty("grad_output"), dtype, requiresGrad: false);
        var grad = global::MyTorch.Autograd.Grad([output], [input], [gradOutput])[0];
        var expectedGrad = c.GetProperty("input_grad");
        Assert.True(grad is not null, $"{name}: MyTorch gave no input gradient.");
        AssertShape(name, "input gradient", expectedGrad, grad!);
        Assert.True(grad!.DType == dtype, $"{name}: input gradient has dtype {grad.DType.Name()}, expected {dtype.Name()}.");
        AssertClose(name, "input gradient", expectedGrad, grad, dtype);
    }

    private static int[] ShapeOf(JsonElement spec) => spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>An int64 tensor for class indices, else a tensor of the case's dtype (float32 fixture values are exact float32 values).</summary>
    private static Tensor ToTensor(JsonElement spec, DType dtype, bool requiresGrad)
    {
        var shape = ShapeOf(spec);
        var values = spec.GetProperty("data").EnumerateArray();
        if (spec.TryGetProperty("dtype", out var kind) && kind.GetString() == "int64")
            return Tensor.FromArray(values.Select(e => e.GetInt64()).ToArray(), shape);
        var data = values.Select(e => e.GetDouble()).ToArray();
        return dtype == DType.Float64
            ? Tensor.FromArray(data, shape, requiresGrad)
            : Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape, requiresGrad);
    }

    private static void AssertShape(string name, string what, JsonElement expected, Tensor actual)
    {
        var want = ShapeOf(expected);
        var got = actual.Shape.ToArray();
        Assert.True(want.SequenceEqual(got), $"{name}: {what} has shape ({string.Join(", ", got)}), PyTorch's has ({string.Join(", ", want)}).");
    }

    private static void AssertClose(string name, string what, JsonElement expected, Tensor actual, DType dtype)
    {
        var want = expected.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var got = actual.ToArray<double>();
        Assert.True(want.Length == got.Length, $"{name}: {what} has {got.Length} elements, PyTorch's has {want.Length}.");
        var report = new StringBuilder();
        int mismatches = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double tolerance = dtype == DType.Float64
                ? Float64Relative * Math.Max(Math.Abs(want[i]), 1)
                : Float32Relative * Math.Max(Math.Abs(want[i]), Float32Floor);
            double difference = Math.Abs(got[i] - want[i]);
            if (difference <= tolerance) continue;
            if (mismatches++ < MaxReportedMismatches)
                report.Append(CultureInfo.InvariantCulture,
                    $"{Environment.NewLine}  element {i}: MyTorch {got[i]:R}, PyTorch {want[i]:R} (|diff| {difference:G3} > tolerance {tolerance:G3})");
        }
        if (mismatches > 0)
            Assert.Fail($"{name}: {what} differs from PyTorch at {mismatches} of {want.Length} element(s):{report}");
    }
}
