using System.Globalization;
using System.Text.Json;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// Linear and LayerNorm against PyTorch, from fixtures/layers.json (written by tests/reference/generate_layer_fixtures.py;
/// its header documents the format). Each layer case checks the forward output and the gradients of the input and of
/// every parameter for the case's upstream gradient; each five-step run trains Linear -> Tanh -> LayerNorm -> Linear with
/// plain SGD (lr 0.1) on ((y - t)^2).mean() from PyTorch's initial weights and compares every step's loss and the
/// weights after the fifth step. The fixture is already in MyTorch's layout (Linear weight (in, out), bias (1, out)).
/// </summary>
public class LayerParityTests
{
    // float64: |mine - torch| <= 1e-10 * max(|torch|, 1).
    private const double Float64Relative = 1e-10;
    private const double Float64Floor = 1;
    // float32: |mine - torch| <= 1e-5 * max(|torch|, 0.1).
    private const double Float32Relative = 1e-5;
    private const double Float32Floor = 0.1;

    private static readonly string[] FiveStepParameterNames = ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"];

    private static readonly Lazy<JsonElement> Root = new(Load);

    private static JsonElement Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "layers.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static IEnumerable<JsonElement> Cases => Root.Value.GetProperty("cases").EnumerateArray();

    private static IEnumerable<JsonElement> Runs => Root.Value.GetProperty("five_steps").EnumerateArray();

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    public static TheoryData<string> RunNames()
    {
        var data = new TheoryData<string>();
        foreach (var r in Runs) data.Add(r.GetProperty("name").GetString()!);
        return data;
    }

    [Fact]
    public void FixturesCoverBothLayersInBothDtypes()
    {
        var covered = Cases.Select(c => (c.GetProperty("module").GetString(), c.GetProperty("dtype").GetString())).ToHashSet();
        foreach (var module in new[] { "linear", "layer_norm" })
            foreach (var dtype in new[] { "float64", "float32" })
                Assert.True(covered.Contains((module, dtype)),
                    $"layers.json has no {module} case in {dtype}; regenerate it with tests/reference/generate_layer_fixtures.py.");
        var runDtypes = Runs.Select(r => r.GetProperty("dtype").GetString()).ToHashSet();
        Assert.Contains("float32", runDtypes);
        Assert.Contains("float64", runDtypes);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void LayerMatchesPyTorch(string name)
    {
        var c = Cases.Single(e => e.GetProperty("name").GetString() == name);
        var dtype = ParseDType(c, name);
        string module = c.GetProperty("module").GetString()!;

        Module layer;
        Tensor? weight, bias;
        if (module == "linear")
        {
            var linear = new Linear(c.GetProperty("in_features").GetInt32(), c.GetProperty("out_features").GetInt32(),
                bias: c.GetProperty("bias").GetBoolean(), dtype: dtype);
            (layer, weight, bias) = (linear, linear.W, linear.B);
        }
        else if (module == "layer_norm")
        {
            var norm = new LayerNorm(c.GetProperty("normalized_shape").GetInt32(), eps: c.GetProperty("eps").GetDouble(),
                elementwiseAffine: c.GetProperty("elementwise_affine").GetBoolean(), dtype: dtype);
            (layer, weight, bias) = (norm, norm.Weight, norm.Bias);
        }
        else
        {
            throw new InvalidDataException($"{name}: unknown module '{module}'.");
        }

        if (weight is not null) weight.CopyFrom(ToTensor(c.GetProperty("weight"), dtype));
        if (bias is not null) bias.CopyFrom(ToTensor(c.GetProperty("bias_value"), dtype));
        Assert.True((weight is null) == (c.GetProperty("grad_weight").ValueKind == JsonValueKind.Null), $"{name}: weight presence differs.");
        Assert.True((bias is null) == (c.GetProperty("grad_bias").ValueKind == JsonValueKind.Null), $"{name}: bias presence differs.");

        var x = ToTensor(c.GetProperty("x"), dtype).RequireGrad();
        var y = layer.Forward(x);
        AssertClose(name, "output", c.GetProperty("output"), y, dtype);

        var wrt = new List<Tensor> { x };
        if (weight is not null) wrt.Add(weight);
        if (bias is not null) wrt.Add(bias);
        var grads = Autograd.Grad([y], wrt, [ToTensor(c.GetProperty("grad_output"), dtype)], createGraph: true);
        AssertClose(name, "grad x", c.GetProperty("grad_x"), grads[0]!, dtype);
        int next = 1;
        if (weight is not null) AssertClose(name, "grad weight", c.GetProperty("grad_weight"), grads[next++]!, dtype);
        if (bias is not null) AssertClose(name, "grad bias", c.GetProperty("grad_bias"), grads[next]!, dtype);
        if (!c.TryGetProperty("v", out var v)) return;

        // Double backward: d/d(x, weight) sum(v * dL/dx), against PyTorch's.
        Tensor[] second = weight is null ? [x] : [x, weight];
        var doubles = Autograd.Grad([grads[0]!], second, [ToTensor(v, dtype)], allowUnused: true, materializeGrads: true);
        AssertClose(name, "double backward to x", c.GetProperty("double_x"), doubles[0]!, dtype);
        if (weight is not null) AssertClose(name, "double backward to the weight", c.GetProperty("double_weight"), doubles[1]!, dtype);
    }

    [Theory]
    [MemberData(nameof(RunNames))]
    public void FiveStepsOfSgdMatchPyTorch(string name)
    {
        var r = Runs.Single(e => e.GetProperty("name").GetString() == name);
        var dtype = ParseDType(r, name);
        var sizes = r.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double lr = r.GetProperty("lr").GetDouble();
        int steps = r.GetProperty("steps").GetInt32();

        var net = new Sequential(
            new Linear(sizes[0], sizes[1], dtype: dtype),
            new Tanh(),
            new LayerNorm(sizes[1], dtype: dtype),
            new Linear(sizes[1], sizes[2], dtype: dtype));
        var parameters = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(FiveStepParameterNames, net.NamedParameters().Select(p => p.Name).ToArray());
        var init = r.GetProperty("init");
        foreach (var (key, p) in parameters) p.CopyFrom(ToTensor(init.GetProperty(key), dtype));

        var x = ToTensor(r.GetProperty("x"), dtype);
        var t = ToTensor(r.GetProperty("t"), dtype);
        var losses = r.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(steps, losses.Length);
        for (int step = 0; step < steps; step++)
        {
            net.ZeroGrad();
            var y = net.Forward(x);
            var diff = y - t;
            var loss = (diff * diff).Mean();
            loss.Backward();
            AssertScalar(name, $"loss of step {step + 1}", losses[step], loss.Item(), dtype);
            using (Autograd.NoGrad())
                foreach (var p in parameters.Values) p.AddInPlace(p.Grad!, -lr);
        }

        var final = r.GetProperty("final");
        foreach (var key in FiveStepParameterNames)
            AssertClose(name, $"{key} after {steps} steps", final.GetProperty(key), parameters[key], dtype);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static DType ParseDType(JsonElement element, string name) => element.GetProperty("dtype").GetString() switch
    {
        "float64" => DType.Float64,
        "float32" => DType.Float32,
        var other => throw new InvalidDataException($"{name}: unknown dtype '{other}'."),
    };

    private static int[] ShapeOf(JsonElement spec) => spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static double[] DataOf(JsonElement spec) => spec.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static Tensor ToTensor(JsonElement spec, DType dtype)
    {
        var data = Tensor.FromArray(DataOf(spec), ShapeOf(spec));
        return dtype == DType.Float64 ? data : data.To(dtype);
    }

    private static (double Relative, double Floor) Tolerance(DType dtype) =>
        dtype == DType.Float64 ? (Float64Relative, Float64Floor) : (Float32Relative, Float32Floor);

    private static void AssertScalar(string name, string what, double expected, double actual, DType dtype)
    {
        var (relative, floor) = Tolerance(dtype);
        double allowed = relative * Math.Max(Math.Abs(expected), floor);
        Assert.True(Math.Abs(actual - expected) <= allowed, string.Create(CultureInfo.InvariantCulture,
            $"{name}: {what}: MyTorch {actual:R}, PyTorch {expected:R} (difference {Math.Abs(actual - expected):E3}, allowed {allowed:E3})."));
    }

    private static void AssertClose(string name, string what, JsonElement expected, Tensor actual, DType dtype)
    {
        var shape = ShapeOf(expected);
        Assert.True(actual.Shape.SequenceEqual(shape),
            $"{name}: {what}: MyTorch shape {Shapes.Format(actual.Shape)}, PyTorch {Shapes.Format(shape)}.");
        Assert.True(actual.DType == dtype, $"{name}: {what}: dtype {actual.DType.Name()}, expected {dtype.Name()}.");
        var want = DataOf(expected);
        var got = actual.ToArray<double>();
        var (relative, floor) = Tolerance(dtype);
        var mismatches = new List<string>();
        for (int i = 0; i < want.Length; i++)
        {
            double allowed = relative * Math.Max(Math.Abs(want[i]), floor);
            if (!(Math.Abs(got[i] - want[i]) <= allowed))
                mismatches.Add(string.Create(CultureInfo.InvariantCulture,
                    $"[{i}] MyTorch {got[i]:R}, PyTorch {want[i]:R} (difference {Math.Abs(got[i] - want[i]):E3}, allowed {allowed:E3})"));
        }
        Assert.True(mismatches.Count == 0,
            $"{name}: {what}: {mismatches.Count} of {want.Length} elements differ: {string.Join("; ", mismatches.Take(8))}");
    }
}
