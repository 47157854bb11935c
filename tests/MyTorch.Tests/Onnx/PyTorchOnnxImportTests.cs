using System.Text.Json;
using MyTorch.Onnx;
using MyTorch.Tests.Reference;
using Xunit;

namespace MyTorch.Tests.Onnx;

/// <summary>
/// ONNX files written by PyTorch's exporter (tests/reference/generate_onnx_fixtures.py), run by MyTorch's importer
/// and by ONNX Runtime, against PyTorch's own outputs.
/// </summary>
public sealed class PyTorchOnnxImportTests
{
    private static readonly Dictionary<string, JsonElement> Cases = FixtureFile.LoadNamedCases("onnx.json");

    public static TheoryData<string> CaseNames => FixtureFile.Names(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void PyTorch_exports_run_in_mytorch(string name)
    {
        var spec = Cases[name];
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", spec.GetProperty("file").GetString()!);
        var input = FixtureFile.ToTensor(spec.GetProperty("input"), DType.Float32, requiresGrad: false);
        var expected = FixtureFile.ToTensor(spec.GetProperty("output"), DType.Float32, requiresGrad: false);
        var model = OnnxModel.Load(path);
        Assert.Equal("input", model.InputName);
        OnnxRuntimeHarness.AssertClose(expected, model.Run(input), 1e-5, name);
        OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(File.ReadAllBytes(path), "input", input), 1e-5, name + " in ONNX Runtime");
    }
}
