using MyTorch.NN;
using MyTorch.Onnx;
using Xunit;

namespace MyTorch.Tests.Docs;

public partial class DocumentationTests
{
    // ---- docs/onnx.md: export and import -------------------------------------------------------------------------

    [Fact]
    public void OnnxExportAndImport()
    {
        try
        {
            var model = new Sequential(new Linear(4, 16), new BatchNorm1d(16), new ReLU(), new Dropout(0.2), new Linear(16, 3));
            // ... train ...
            model.ExportOnnx("model.onnx", Tensor.Zeros([1, 4]));   // the sample gives the dtype and the shape after the batch
            var options = new OnnxExportOptions { InputName = "features", OutputName = "logits" };
            options.Metadata["trained_on"] = "my data";
            model.ExportOnnx("named.onnx", Tensor.Zeros([1, 4]), options);

            var onnx = OnnxModel.Load("model.onnx");
            Console.WriteLine($"{onnx.InputName} -> {string.Join(", ", onnx.OutputNames)}");   // input -> output
            var outputs = onnx.Run(Tensor.Zeros([2, 4]));                                       // the first output, (2, 3)

            Assert.Equal("input -> output", $"{onnx.InputName} -> {string.Join(", ", onnx.OutputNames)}");
            Assert.Equal([2, 3], outputs.Shape.ToArray());
            var named = OnnxModel.Load("named.onnx");
            Assert.Equal("features", named.InputName);
            Assert.Equal("my data", named.Metadata["trained_on"]);
        }
        finally
        {
            File.Delete("model.onnx");
            File.Delete("named.onnx");
        }
    }
}
