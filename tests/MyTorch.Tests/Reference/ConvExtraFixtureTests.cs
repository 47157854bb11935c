using System.Text.Json;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// The transposed convolutions, adaptive max pooling, resampling, padding and GroupNorm layers against PyTorch 1.13, from
/// fixtures/convextra.json (written by tests/reference/generate_convextra_fixtures.py, in conv.json's format): each case's
/// output, the gradient of the input and of every parameter for the case's upstream gradient, and for some cases the
/// second derivatives (grad of grad) with respect to the input, the weight and the upstream gradient.
/// </summary>
public class ConvExtraFixtureTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => FixtureFile.LoadNamedCases("convextra.json"));

    private static readonly string[] Layers =
    [
        "ConvTranspose2d", "ConvTranspose1d", "conv_transpose2d", "conv_transpose1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool1d", "Upsample",
        "Downsample2d", "Downsample1d", "Upsample2d", "Upsample1d", "ZeroPad2d", "ConstantPad2d", "GroupNorm",
    ];

    public static TheoryData<string> CaseNames() => FixtureFile.Names(Cases.Value.Keys);

    [Fact]
    public void TheFixtureCoversEveryLayerInBothDtypes()
    {
        var covered = Cases.Value.Values.Select(c => (c.GetProperty("layer").GetString(), c.GetProperty("dtype").GetString())).ToHashSet();
        foreach (var layer in Layers)
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
        var (forward, parameters) = Build(c.GetProperty("layer").GetString()!, c.GetProperty("args"), inputs, dtype);
        var y = forward(x);
        FixtureFile.AssertShape(name, "output", c.GetProperty("output"), y);
        FixtureFile.AssertClose(name, "output", c.GetProperty("output"), y, dtype);

        var gy = FixtureFile.ToTensor(c.GetProperty("gy"), dtype, requiresGrad: false);
        var grads = c.GetProperty("grads");
        var wrt = new List<Tensor> { x };
        var names = new List<string> { "x" };
        foreach (var (key, tensor) in parameters)
        {
            wrt.Add(tensor);
            names.Add(key);
        }
        var actual = Autograd.Grad([y], wrt, [gy]);
        for (int i = 0; i < wrt.Count; i++)
        {
            FixtureFile.AssertShape(name, $"d{names[i]}", grads.GetProperty(names[i]), actual[i]!);
            if (names[i] == "bias" && dtype == DType.Float32) AssertSumClose(name, grads.GetProperty("bias"), actual[i]!, gy);
            else FixtureFile.AssertClose(name, $"d{names[i]}", grads.GetProperty(names[i]), actual[i]!, dtype);
        }

        if (!c.TryGetProperty("double", out var second)) return;
        var gyLeaf = gy.Clone().RequireGrad();
        var u = FixtureFile.ToTensor(second.GetProperty("u"), dtype, false);
        if (parameters.Count == 0)
        {
            var dx = Autograd.Grad([forward(x)], [x], [gyLeaf], createGraph: true)[0]!;
            var result = Autograd.Grad([(dx * u).Sum()], [x, gyLeaf], materializeGrads: true);
            AssertSecondOrderClose(name, "d(s)/dx", second.GetProperty("x"), result[0]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dgy", second.GetProperty("gy"), result[1]!, dtype);
        }
        else
        {
            var weight = parameters[0].Tensor;
            var first = Autograd.Grad([forward(x)], [x, weight], [gyLeaf], createGraph: true);
            var v = FixtureFile.ToTensor(second.GetProperty("v"), dtype, false);
            var s = (first[0]! * u).Sum() + (first[1]! * v).Sum();
            var result = Autograd.Grad([s], [x, weight, gyLeaf], materializeGrads: true);
            AssertSecondOrderClose(name, "d(s)/dx", second.GetProperty("x"), result[0]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dweight", second.GetProperty("weight"), result[1]!, dtype);
            AssertSecondOrderClose(name, "d(s)/dgy", second.GetProperty("gy"), result[2]!, dtype);
        }
    }

    /// <summary>
    /// A float32 bias gradient is a sum of every position's upstream gradient that cancels to a small value, summed in
    /// another order than PyTorch's: it must agree within float32 rounding of that sum, 1e-7 of the sum of |gy|.
    /// </summary>
    private static void AssertSumClose(string name, JsonElement expected, Tensor actual, Tensor gy)
    {
        var want = FixtureFile.DataOf(expected);
        var got = actual.ToArray<double>();
        double scale = gy.ToArray<double>().Sum(Math.Abs);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-7 * scale + 1e-6 * Math.Abs(want[i]), $"{name}: dbias[{i}] is {got[i]:R}, PyTorch's {want[i]:R}");
    }

    /// <summary>Second derivatives: float64 as the other fixtures, float32 within 1e-5 of the largest of |PyTorch's value| and 1.</summary>
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

    private static bool Has(JsonElement args, string key) => args.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private static int Int(JsonElement args, string key, int fallback) => Has(args, key) ? args.GetProperty(key).GetInt32() : fallback;

    private static Size2 Pair(JsonElement args, string key, Size2 fallback)
    {
        if (!Has(args, key)) return fallback;
        var v = args.GetProperty(key);
        return v.ValueKind == JsonValueKind.Array ? new Size2(v[0].GetInt32(), v[1].GetInt32()) : v.GetInt32();
    }

    private static Padding4 Pad(JsonElement args)
    {
        var v = args.GetProperty("padding");
        return v.ValueKind == JsonValueKind.Array ? new Padding4(v[0].GetInt32(), v[1].GetInt32(), v[2].GetInt32(), v[3].GetInt32()) : v.GetInt32();
    }

    private static List<(string, Tensor)> Load(Module module, JsonElement inputs, DType dtype)
    {
        var list = new List<(string, Tensor)>();
        foreach (var (key, p) in module.NamedParameters())
        {
            using (Autograd.NoGrad()) p.CopyFrom(FixtureFile.ToTensor(inputs.GetProperty(key), dtype, false));
            list.Add((key, p));
        }
        return list;
    }

    private static (Func<Tensor, Tensor> Forward, List<(string Name, Tensor Tensor)> Parameters) Build(string layer, JsonElement args, JsonElement inputs, DType dtype)
    {
        bool bias = !Has(args, "bias") || args.GetProperty("bias").GetBoolean();
        Module? module = layer switch
        {
            "ConvTranspose2d" => new ConvTranspose2d(Int(args, "in_channels", 0), Int(args, "out_channels", 0), Pair(args, "kernel_size", 0), Pair(args, "stride", 1),
                Pair(args, "padding", 0), Pair(args, "output_padding", 0), Int(args, "groups", 1), bias, Pair(args, "dilation", 1), dtype),
            "ConvTranspose1d" => new ConvTranspose1d(Int(args, "in_channels", 0), Int(args, "out_channels", 0), Int(args, "kernel_size", 0), Int(args, "stride", 1),
                Int(args, "padding", 0), Int(args, "output_padding", 0), Int(args, "groups", 1), bias, Int(args, "dilation", 1), dtype),
            "GroupNorm" => new GroupNorm(Int(args, "num_groups", 0), Int(args, "num_channels", 0), Has(args, "eps") ? args.GetProperty("eps").GetDouble() : 1e-5,
                !Has(args, "affine") || args.GetProperty("affine").GetBoolean(), dtype),
            "AdaptiveMaxPool2d" => new AdaptiveMaxPool2d(Pair(args, "output_size", 0)),
            "AdaptiveMaxPool1d" => new AdaptiveMaxPool1d(Int(args, "output_size", 0)),
            "Downsample2d" => new Downsample2d(Int(args, "factor", 0)),
            "Downsample1d" => new Downsample1d(Int(args, "factor", 0)),
            "Upsample2d" => new Upsample2d(Int(args, "factor", 0)),
            "Upsample1d" => new Upsample1d(Int(args, "factor", 0)),
            "ZeroPad2d" => new ZeroPad2d(Pad(args)),
            "ConstantPad2d" => new ConstantPad2d(Pad(args), args.GetProperty("value").GetDouble()),
            "Upsample" => Upsample(args),
            _ => null,
        };
        if (module is not null) return (module.Forward, Load(module, inputs, dtype));
        var w = FixtureFile.ToTensor(inputs.GetProperty("weight"), dtype, true);
        var b = inputs.TryGetProperty("bias", out var bj) ? FixtureFile.ToTensor(bj, dtype, true) : null;
        List<(string, Tensor)> parameters = b is null ? [("weight", w)] : [("weight", w), ("bias", b)];
        return layer switch
        {
            "conv_transpose2d" => (x => x.ConvTranspose2d(w, b, Pair(args, "stride", 1), Pair(args, "padding", 0), Pair(args, "output_padding", 0),
                Int(args, "groups", 1), Pair(args, "dilation", 1)), parameters),
            "conv_transpose1d" => (x => x.ConvTranspose1d(w, b, Int(args, "stride", 1), Int(args, "padding", 0), Int(args, "output_padding", 0),
                Int(args, "groups", 1), Int(args, "dilation", 1)), parameters),
            _ => throw new ArgumentOutOfRangeException(nameof(layer), layer, "no builder for this fixture layer"),
        };
    }

    private static Upsample Upsample(JsonElement args)
    {
        string mode = Has(args, "mode") ? args.GetProperty("mode").GetString()! : "nearest";
        bool? align = Has(args, "align_corners") ? args.GetProperty("align_corners").GetBoolean() : null;
        if (Has(args, "size"))
        {
            var s = args.GetProperty("size");
            return new Upsample(s.ValueKind == JsonValueKind.Array ? new Size2(s[0].GetInt32(), s[1].GetInt32()) : new Size2(1, s.GetInt32()), mode: mode, alignCorners: align);
        }
        var f = args.GetProperty("scale_factor");
        Scale2 factor = f.ValueKind == JsonValueKind.Array ? new Scale2(f[0].GetDouble(), f[1].GetDouble()) : f.GetDouble();
        return new Upsample(scaleFactor: factor, mode: mode, alignCorners: align);
    }
}
