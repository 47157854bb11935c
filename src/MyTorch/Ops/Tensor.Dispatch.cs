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
        switch (a.DType)
        {
            case DType.Float32: Broadcasting.Run<float, TOp>(a.F32, a.shape, b.F32, b.shape, result.F32, outShape); break;
            case DType.Float64: Broadcasting.Run<double, TOp>(a.F64, a.shape, b.F64, b.shape, result.F64, outShape); break;
            default: Broadcasting.Run<long, TOp>(a.I64, a.shape, b.I64, b.shape, result.I64, outShape); break;
        }
        return result;
    }

    internal static Tensor Unary<TOp>(Tensor x, string op) where TOp : IUnaryKernel
    {
        var result = Empty((int[])x.shape.Clone(), x.DType, op);
        switch (x.DType)
        {
            case DType.Float32: TOp.Apply<float>(x.F32, result.F32); break;
            case DType.Float64: TOp.Apply<double>(x.F64, result.F64); break;
            default: ThrowNotFloat(op, x); break;
        }
        return result;
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
