using System.Text.Json;
using MyTorch.IO;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.IO;

/// <summary>
/// Files written by Debian's PyTorch 1.13 (tests/reference/generate_pytorch_files.py) read by <see cref="TorchFile"/>,
/// by <see cref="Safetensors"/> with conversion, and loaded into MyTorch models through <see cref="PyTorchStateDict"/>.
/// </summary>
public sealed class PyTorchImportTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch-files", name);

    private static JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(Fixture(name))).RootElement;

    private static double[] Data(JsonElement spec) => [.. spec.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];

    private static int[] Shape(JsonElement spec) => [.. spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>MyTorch's twin of the generator's Sequential(Linear(6, 8), BatchNorm1d(8), ReLU, Linear(8, 5), ReLU, Linear(5, 3)).</summary>
    internal static Sequential Mlp() =>
        new(new Linear(6, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 5), new ReLU(), new Linear(5, 3));

    [Theory]
    [InlineData("mlp.pt")]
    [InlineData("mlp.safetensors")]
    public void AStateDictFromPyTorch_LoadsAndComputesPyTorchsOutputs(string file)
    {
        var tensors = PyTorchStateDict.Read(Fixture(file));
        Assert.Equal([8, 6], tensors["0.weight"].Shape.ToArray());
        if (file.EndsWith(".safetensors", StringComparison.Ordinal)) Assert.Equal("pt", tensors.Metadata["format"]);
        var model = Mlp();
        PyTorchStateDict.Load(model, tensors, file, convertFloats: true);
        model.Eval();
        var expected = Json("mlp.json");
        var x = Tensor.FromArray(Data(expected.GetProperty("x")).Select(v => (float)v).ToArray(), Shape(expected.GetProperty("x")));
        var y = model.Forward(x).ToArray<double>();
        var want = Data(expected.GetProperty("y"));
        Assert.Equal(want.Length, y.Length);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - want[i]) < 1e-5, $"output {i}: {y[i]} vs PyTorch's {want[i]}");
    }

    [Fact]
    public void TorchSave_KeepsTheDictOrderAndTheBatchNormCounter()
    {
        var tensors = TorchFile.Load(Fixture("mlp.pt"));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "3.bias", "5.weight", "5.bias"], tensors.Keys.ToArray());
        var counter = tensors["1.num_batches_tracked"];
        Assert.Equal(DType.Int64, counter.DType);
        Assert.Equal(0, counter.Rank);
        Assert.Equal(Json("mlp.json").GetProperty("num_batches_tracked").GetInt64(), counter.ToArray<long>()[0]);
    }

    [Theory]
    [InlineData("dtypes.pt")]
    [InlineData("dtypes.safetensors")]
    public void EveryDTypeAndView_ReadsAsPyTorchHoldsIt(string file)
    {
        var tensors = PyTorchStateDict.Read(Fixture(file));
        var expected = Json("dtypes.json");
        int checkedCount = 0;
        foreach (var property in expected.EnumerateObject())
        {
            if (!tensors.TryGetValue(property.Name, out var tensor))
            {
                Assert.EndsWith(".safetensors", file, StringComparison.Ordinal); // the views are in the .pt file only
                continue;
            }
            Assert.Equal(Shape(property.Value), tensor.Shape.ToArray());
            var want = Data(property.Value);
            var got = tensor.ToArray<double>();
            Assert.Equal(want, got);
            Assert.Equal(property.Name is "f64" or "scalar" ? DType.Float64 : property.Name.StartsWith('f') || property.Name is "bf16" or "transposed" or "sliced"
                or "row" or "empty" or "expanded" ? DType.Float32 : DType.Int64, tensor.DType);
            checkedCount++;
        }
        Assert.Equal(file.EndsWith(".pt", StringComparison.Ordinal) ? 16 : 10, checkedCount);
    }

    [Fact]
    public void ATrainingCheckpoint_GivesTheStateDictUnderItsKey()
    {
        var plain = TorchFile.Load(Fixture("mlp.pt"));
        var fromCheckpoint = TorchFile.Load(Fixture("checkpoint.pt"));
        Assert.Equal(plain.Keys.ToArray(), fromCheckpoint.Keys.ToArray());
        foreach (var (key, value) in plain) Assert.Equal(value.ToArray<double>(), fromCheckpoint[key].ToArray<double>());
    }

    [Fact]
    public void TheLegacyFormat_IsRefusedSayingHowToSaveAgain()
    {
        var error = Assert.Throws<DataFormatException>(() => PyTorchStateDict.Read(Fixture("legacy.pt")));
        Assert.Contains("legacy format", error.Message, StringComparison.Ordinal);
        Assert.Contains("_use_new_zipfile_serialization=False", error.Message, StringComparison.Ordinal);
        Assert.Contains("legacy.pt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MismatchesAreAllListedAtOnce_AndTheModelIsLeftUnchanged()
    {
        var tensors = TorchFile.Load(Fixture("mlp.pt"));
        tensors.Remove("3.bias");
        tensors["5.weight"] = Tensor.Zeros([4, 5]);
        tensors.Add("9.weight", Tensor.Zeros([1]));
        var model = Mlp();
        var before = model.StateDict().Snapshot();
        var error = Assert.Throws<DataFormatException>(() => PyTorchStateDict.Load(model, tensors, "mlp.pt", convertFloats: true, describedBy: "the --model spec"));
        Assert.Contains("do not fit the --model spec (3 problems)", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing tensor '3.bias' (expected float32 (5,))", error.Message, StringComparison.Ordinal);
        Assert.Contains("tensor '5.weight' has shape (4, 5), expected (3, 5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected tensor '9.weight'", error.Message, StringComparison.Ordinal);
        foreach (var (key, value) in model.StateDict())
            Assert.Equal(before[key].ToArray<double>(), value.ToArray<double>());
    }

    [Fact]
    public void ACounterWithoutABatchNorm_IsUnexpected_AndFloatsConvertOnlyWhenAsked()
    {
        var model = new Sequential(new Linear(2, 3));
        var tensors = new StateDict
        {
            ["0.weight"] = Tensor.Ones([3, 2], DType.Float64),
            ["0.bias"] = Tensor.Zeros([3], DType.Float64),
            ["0.num_batches_tracked"] = Tensor.Zeros([], DType.Int64),
        };
        var error = Assert.Throws<DataFormatException>(() => PyTorchStateDict.Load(model, tensors, "f.pt", convertFloats: true));
        Assert.Contains("unexpected tensor '0.num_batches_tracked'", error.Message, StringComparison.Ordinal);
        tensors.Remove("0.num_batches_tracked");
        error = Assert.Throws<DataFormatException>(() => PyTorchStateDict.Load(model, tensors, "f.pt"));
        Assert.Contains("has dtype float64, expected float32", error.Message, StringComparison.Ordinal);
        PyTorchStateDict.Load(model, tensors, "f.pt", convertFloats: true);
        Assert.Equal(DType.Float32, model.StateDict()["0.weight"].DType);
    }

    [Fact]
    public void ExportThenImport_IsTheIdentity_ThroughSafetensors()
    {
        var source = Mlp();
        PyTorchStateDict.Load(source, TorchFile.Load(Fixture("mlp.pt")), "mlp.pt");
        var exported = PyTorchStateDict.ToPyTorch(source);
        Assert.Equal([8, 6], exported["0.weight"].Shape.ToArray());
        Assert.Equal([8], exported["0.bias"].Shape.ToArray());
        string path = temp.File("round.safetensors");
        Safetensors.Save(path, exported);
        var target = Mlp();
        PyTorchStateDict.Load(target, PyTorchStateDict.Read(path), path);
        foreach (var (key, value) in source.StateDict())
            Assert.Equal(value.ToArray<double>(), target.StateDict()[key].ToArray<double>());
    }

    [Fact]
    public void SafetensorsWithoutConversion_StillRefusesHalfPrecision()
    {
        var error = Assert.Throws<DataFormatException>(() => Safetensors.Load(Fixture("dtypes.safetensors")));
        Assert.Contains("dtype F16", error.Message, StringComparison.Ordinal);
    }
}
