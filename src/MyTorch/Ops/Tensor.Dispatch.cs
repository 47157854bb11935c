using System.Diagnostics.CodeAnalysis;
using MyTorch.Kernels;

namespace MyTorch;

// Routing from a tensor's runtime dtype to the generic kernels, and the checks every op shares.
public sealed partial class Tensor
{
    internal static Tensor Binary<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryKernel<TOp>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType) ThrowDTypeMismatch(op, a, b);
        var outShape = Shapes.Broadcast(a.shape, b.shape, op);
        var result = Empty(outShape, a.DType, op);
        Compiled.Recording.Launch((a, b, result), BinaryKernel<TOp>.Run);
        return result;
    }

    /// <summary>The launch of a broadcasting binary kernel: result = a op b.</summary>
    private static class BinaryKernel<TOp> where TOp : IBinaryKernel<TOp>
    {
        public static readonly Action<(Tensor A, Tensor B, Tensor Result)> Run = static s =>
        {
            var (a, b, result) = s;
            switch (a.DType)
            {
                case DType.Float32: Broadcasting.Run<float, TOp>(a.F32, a.shape, b.F32, b.shape, result.F32, result.shape); break;
                case DType.Float64: Broadcasting.Run<double, TOp>(a.F64, a.shape, b.F64, b.shape, result.F64, result.shape); break;
                default: Broadcasting.Run<long, TOp>(a.I64, a.shape, b.I64, b.shape, result.I64, result.shape); break;
            }
        };
    }

    internal static Tensor Unary<TOp>(Tensor x, string op) where TOp : IUnaryKernel
    {
        if (!x.DType.IsFloatingPoint()) ThrowNotFloat(op, x);
        var result = Empty((int[])x.shape.Clone(), x.DType, op);
        Compiled.Recording.Launch((x, result), UnaryKernel<TOp>.Run);
        return result;
    }

    /// <summary>The launch of an element-wise kernel: result = op(x), for float32 and float64.</summary>
    internal static class UnaryKernel<TOp> where TOp : IUnaryKernel
    {
        public static readonly Action<(Tensor X, Tensor Result)> Run = static s =>
        {
            if (s.X.DType == DType.Float32) TOp.Apply<float>(s.X.F32, s.Result.F32);
            else TOp.Apply<double>(s.X.F64, s.Result.F64);
        };
    }

    /// <summary>A scalar operand as a 0-d tensor of <paramref name="like"/>'s dtype.</summary>
    internal static Tensor ScalarLike(double value, Tensor like) => Scalar(value, like.DType);

    internal void RequireFloat(string op)
    {
        if (!DType.IsFloatingPoint()) ThrowNotFloat(op, this);
    }

    [DoesNotReturn]
    internal static void ThrowNotFloat(string op, Tensor x) =>
        throw new TensorShapeException($"{op}: needs a float32 or float64 tensor, got {x.DType.Name()} of shape {Shapes.Format(x.shape)}.");

    [DoesNotReturn]
    internal static void ThrowDTypeMismatch(string op, Tensor a, Tensor b) =>
        throw new TensorShapeException(
            $"{op}: element types differ: {a.DType.Name()} {Shapes.Format(a.shape)} and {b.DType.Name()} {Shapes.Format(b.shape)}. " +
            "Convert one with To(DType).");
}
