using System.Text.Json;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// The convolution, pooling, Flatten and BatchNorm2d layers against PyTorch 1.13, from fixtures/conv.json (written by
/// tests/reference/generate_conv_fixtures.py, whose header documents the format): each case's forward output, the
/// gradient of the input and of every parameter for the case's upstream gradient, the running statistics BatchNorm2d
/// leaves, and for some convolutions the second derivatives (grad of grad) with respect to the input, weight and the
/// upstream gradient.
/// </summary>
public class ConvFixtureTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => FixtureFile.LoadNamedCases("conv.json"));

    public static TheoryData<string> CaseNames() =>
        FixtureFile.Names(Cases.Value.Where(c => ConvFixtureLayers.Names.Contains(c.Value.GetProperty("layer").GetString())).Select(c => c.Key));

    [Fact]
    public void TheFixtureCoversEveryLayerInBothDtypes()
    {
        var covered = Cases.Value.Values.Select(c => (c.GetProperty("layer").GetString(), c.GetProperty("dtype").GetString())).ToHashSet();
        foreach (var layer in ConvFixtureLayers.Names)
            foreach (var dtype in new[] { "float64", "float32" })
                Assert.Contains((layer, dtype), covered);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var inputs = c.GetProperty("inputs");
        var x = FixtureFile.ToTensor(inputs.GetProperty("x"), dtype, requiresGrad: true);
        var layer = ConvFixtureLayers.Build(c.GetProperty("layer").GetString()!, c.GetProperty("args"), inputs, dtype,
            c.GetProperty("training").GetBoolean());
        var y = layer.Forward(x);
        FixtureFile.AssertShape(name, "output", c.GetProperty("output"), y);
        FixtureFile.AssertClose(name, "output", c.GetProperty("output"), y, dtype);

        var gy = FixtureFile.ToTensor(c.GetProperty("gy"), dtype, requiresGrad: false);
        var grads = c.GetProperty("grads");
        var wrt = new List<Tensor> { x };
        var names = new List<string> { "x" };
        foreach (var (key, tensor) in layer.Parameters)
        {
            wrt.Add(tensor);
            names.Add(key);
        }
        var actual = Autograd.Grad([y], wrt, [gy]);
        for (int i = 0; i < wrt.Count; i++)
        {
            FixtureFile.AssertShape(name, $"d{names[i]}", grads.GetProperty(names[i]), actual[i]!);
            FixtureFile.AssertClose(name, $"d{names[i]}", grads.GetProperty(names[i]), actual[i]!, dtype);
        }

        if (c.TryGetProperty("state", out var state))
            foreach (var (key, tensor) in layer.State)
                FixtureFile.AssertClose(name, key, state.GetProperty(key), tensor, dtype);

        if (c.TryGetProperty("double", out var second) && layer.Parameters.Count == 0)
        {
            var gyLeaf = gy.Clone().RequireGrad();
            var dx = Autograd.Grad([layer.Forward(x)], [x], [gyLeaf], createGraph: true)[0]!;
            var u = FixtureFile.ToTensor(second.GetProperty("u"), dtype, false);
            var result = Autograd.Grad([(dx * u).Sum()], [x, gyLeaf], materializeGrads: true);
            AssertSecondOrderClose(name, "d(s)/dx", second.GetProperty("x"), result[0]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dgy", second.GetProperty("gy"), result[1]!, dtype);
        }
        else if (c.TryGetProperty("double", out second))
        {
            var weight = layer.Parameters[0].Tensor;
            var gyLeaf = gy.Clone().RequireGrad();
            var y2 = layer.Forward(x);
            var first = Autograd.Grad([y2], [x, weight], [gyLeaf], createGraph: true);
            var u = FixtureFile.ToTensor(second.GetProperty("u"), dtype, false);
            var v = FixtureFile.ToTensor(second.GetProperty("v"), dtype, false);
            var s = (first[0]! * u).Sum() + (first[1]! * v).Sum();
            var result = Autograd.Grad([s], [x, weight, gyLeaf], materializeGrads: true);
            AssertSecondOrderClose(name, "d(s)/dx", second.GetProperty("x"), result[0]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dweight", second.GetProperty("weight"), result[1]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dgy", second.GetProperty("gy"), result[2]!, dtype);
        }
    }

    /// <summary>
    /// Second derivatives sum twice as many rounded products as first ones: float64 as the other fixtures, float32 within
    /// 1e-5 of the largest of |PyTorch's value| and 1.
    /// </summary>
    private static void AssertSecondOrderClose(string name, string what, JsonElement expected, Tensor actual, DType dtype)
    {
        if (dtype == DType.Float64)
        {
            FixtureFile.AssertClose(name, what, expected, actual, dtype);
            return;
        }
        var want = FixtureFile.DataOf(expected);
        var got = actual.ToArray<double>();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Max(Math.Abs(want[i]), 1), $"{name}: {what}[{i}] is {got[i]:R}, PyTorch's {want[i]:R}");
    }
}
