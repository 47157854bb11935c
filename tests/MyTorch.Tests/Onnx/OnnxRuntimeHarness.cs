using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace MyTorch.Tests.Onnx;

/// <summary>Runs ONNX bytes in ONNX Runtime (the reference implementation) and compares tensors.</summary>
internal static class OnnxRuntimeHarness
{
    /// <summary>The first output of the model for a float32 input, as a MyTorch tensor.</summary>
    public static Tensor Run(byte[] model, string inputName, Tensor input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        long[] shape = [.. input.Shape.ToArray().Select(d => (long)d)];
        using var value = input.DType == DType.Float64
            ? OrtValue.CreateTensorValueFromMemory(input.ToArray<double>(), shape)
            : OrtValue.CreateTensorValueFromMemory(input.ToArray<float>(), shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]);
        var output = results[0];
        int[] outShape = [.. output.GetTensorTypeAndShape().Shape.Select(d => (int)d)];
        return output.GetTensorTypeAndShape().ElementDataType == TensorElementType.Double
            ? Tensor.FromArray(output.GetTensorDataAsSpan<double>().ToArray(), outShape)
            : Tensor.FromArray(output.GetTensorDataAsSpan<float>().ToArray(), outShape);
    }

    /// <summary>|actual - expected| &lt;= tolerance * max(1, |expected|) everywhere, and the same shapes.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{what}: shape {Shapes.Format(actual.Shape)}, expected {Shapes.Format(expected.Shape)}");
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])),
                $"{what}: element {i} is {a[i]}, expected {e[i]} (tolerance {tolerance})");
    }
}
