using MyTorch.NN;
using MyTorch.Onnx;
using MyTorch.Tests.Fuzz;
using Xunit;

namespace MyTorch.Tests.Onnx;

/// <summary>Mutated ONNX files: loading and running one either works or fails with a clear exception, never a crash or a hang.</summary>
public sealed class OnnxFuzzTests
{
    private static bool Expected(Exception error) =>
        error is InvalidDataException or NotSupportedException or ArgumentException or OverflowException;

    [Fact]
    public void Mutated_files_fail_cleanly()
    {
        var generator = new Generator(8);
        var seeds = new[]
        {
            OnnxExport.ToOnnxBytes(new Sequential(new Linear(3, 4, generator: generator), new BatchNorm1d(4), new GELU(), new Linear(4, 2, generator: generator)), Tensor.Zeros([1, 3])),
            OnnxExport.ToOnnxBytes(new Sequential(new Unflatten(1, 1, 4, 4), new Conv2d(1, 2, 3, padding: 1, generator: generator), new MaxPool2d(2), new Flatten(),
                new Linear(8, 2, generator: generator)), Tensor.Zeros([1, 16])),
            File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx", "cnn.onnx")),
        };
        var mutator = new Mutator(2026);
        int loaded = 0;
        for (int i = 0; i < 600; i++)
        {
            var seed = seeds[i % seeds.Length];
            var bytes = mutator.Mutate(seed, seeds[(i + 1) % seeds.Length]);
            OnnxModel model;
            try
            {
                model = OnnxModel.FromBytes(bytes);
            }
            catch (Exception error) when (Expected(error))
            {
                continue;
            }
            loaded++;
            try
            {
                var shape = model.InputShape.Select(d => d is int n && n is > 0 and <= 64 ? n : 2).ToArray();
                if (shape.Aggregate(1L, (a, b) => a * b) <= 1 << 16) model.Run(Tensor.Ones(shape));
            }
            catch (Exception error) when (Expected(error))
            {
            }
        }
        Assert.True(loaded > 0, "no mutation loaded: the fuzzer only tested the first check");
    }
}
