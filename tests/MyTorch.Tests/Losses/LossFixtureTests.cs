using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch.Losses;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;
using Xunit;
using MyTorch.Tests.Reference;
using static MyTorch.Tests.Reference.FixtureFile;


namespace MyTorch.Tests.Losses;

/// <summary>
/// Replays the PyTorch reference cases in fixtures/losses.json (written by tests/reference/generate_loss_fixtures.py)
/// through MyTorch's losses: each case's loss, and the input gradient for the case's upstream gradient, must
/// match PyTorch's. One theory row per case, so a failure names the loss, target kind, reduction and dtype.
/// </summary>
public class LossFixtureTests
{
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
        var grad = global::MyTorch.Autograd.Grad([output], [input], [gradOutput], createGraph: true)[0];
        var expectedGrad = c.GetProperty("input_grad");
        Assert.True(grad is not null, $"{name}: MyTorch gave no input gradient.");
        AssertShape(name, "input gradient", expectedGrad, grad!);
        Assert.True(grad!.DType == dtype, $"{name}: input gradient has dtype {grad.DType.Name()}, expected {dtype.Name()}.");
        AssertClose(name, "input gradient", expectedGrad, grad, dtype);
        if (!c.TryGetProperty("double_grad", out var expectedDouble)) return;

        // Double backward: d/dx sum(v * dL/dx), the Hessian of the loss applied to v.
        var v = ToTensor(c.GetProperty("v"), dtype, requiresGrad: false);
        var doubleGrad = grad.RequiresGrad
            ? global::MyTorch.Autograd.Grad([grad], [input], [v], allowUnused: true, materializeGrads: true)[0]!
            : Tensor.ZerosLike(input);
        if (loss is BCELoss && dtype == DType.Float64)
        {
            // PyTorch's BCE second derivative puts eps inside (p + eps)^2 (1 - p + eps)^2; the composed gradient's has
            // p (1 - p) clamped at eps: the same value away from 0 and 1, to about 1e-10 relative.
            var want = FixtureFile.DataOf(expectedDouble);
            var got = doubleGrad.ToArray<double>();
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - got[i]) <= 1e-8 * Math.Max(1, Math.Abs(want[i])), $"{name}: double backward element {i}: {got[i]} vs {want[i]}");
            return;
        }
        AssertClose(name, "double backward", expectedDouble, doubleGrad, dtype);
    }
}
