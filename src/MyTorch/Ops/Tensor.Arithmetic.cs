using MyTorch.Kernels;

namespace MyTorch;

// The operators of + - * / (the ops themselves are in Ops/Arithmetic), in-place updates, and summing a broadcast
// gradient back to its operand's shape: a broadcast element contributed to every output it was copied into.
public sealed partial class Tensor
{
    /// <summary>Element-wise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(Tensor a, double b) => Add(a, ScalarLike(b, a));
    /// <summary>Adds a scalar to every element.</summary>
    public static Tensor operator +(double a, Tensor b) => Add(ScalarLike(a, b), b);
    /// <summary>Element-wise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Subtract(a, b);
    /// <summary>Subtracts a scalar from every element.</summary>
    public static Tensor operator -(Tensor a, double b) => Subtract(a, ScalarLike(b, a));
    /// <summary>Subtracts every element from a scalar.</summary>
    public static Tensor operator -(double a, Tensor b) => Subtract(ScalarLike(a, b), b);
    /// <summary>Element-wise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Multiply(a, b);
    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => Multiply(a, ScalarLike(b, a));
    /// <summary>Multiplies every element by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => Multiply(ScalarLike(a, b), b);
    /// <summary>Element-wise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Divide(a, b);
    /// <summary>Divides every element by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => Divide(a, ScalarLike(b, a));
    /// <summary>Divides a scalar by every element.</summary>
    public static Tensor operator /(double a, Tensor b) => Divide(ScalarLike(a, b), b);
    /// <summary>-x.</summary>
    public static Tensor operator -(Tensor x) => x.Neg();

    /// <summary>
    /// Adds <paramref name="alpha"/> <paramref name="other"/> into this tensor in place (same shape and dtype), as PyTorch's
    /// <c>add_(other, alpha=alpha)</c>. Recorded in the graph when gradients are on and either tensor requires grad.
    /// </summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Shapes.Equal(shape, other.shape) || DType != other.DType)
            throw new TensorShapeException($"AddInPlace: {Shapes.Format(other.shape)} {other.DType.Name()} cannot be added into " +
                $"{Shapes.Format(shape)} {DType.Name()}.");
        var previous = BeginInPlace("add_", other);
        Compiled.Recording.Launch((destination: this, other, alpha), static s =>
        {
            var (destination, other, alpha) = s;
            switch (destination.DType)
            {
                case DType.Float32:
                    if (alpha == 1) System.Numerics.Tensors.TensorPrimitives.Add(destination.F32, other.F32, destination.F32);
                    else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(other.F32, (float)alpha, destination.F32, destination.F32);
                    break;
                case DType.Float64:
                    if (alpha == 1) System.Numerics.Tensors.TensorPrimitives.Add(destination.F64, other.F64, destination.F64);
                    else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(other.F64, alpha, destination.F64, destination.F64);
                    break;
                default:
                    var values = destination.I64;
                    var added = other.I64;
                    for (int i = 0; i < values.Length; i++) values[i] += (long)alpha * added[i];
                    break;
            }
        });
        EndInPlace("add_", previous, other, InPlaceBackward.Add, alpha);
        return this;
    }

    /// <summary>Multiplies this tensor by a scalar in place, as PyTorch's <c>mul_</c>. Recorded in the graph when gradients are on and it requires grad.</summary>
    public Tensor MultiplyInPlace(double factor)
    {
        var previous = BeginInPlace("mul_", null);
        Compiled.Recording.Launch((destination: this, factor), static s =>
        {
            var (destination, factor) = s;
            switch (destination.DType)
            {
                case DType.Float32: System.Numerics.Tensors.TensorPrimitives.Multiply(destination.F32, (float)factor, destination.F32); break;
                case DType.Float64: System.Numerics.Tensors.TensorPrimitives.Multiply(destination.F64, factor, destination.F64); break;
                default:
                    var values = destination.I64;
                    for (int i = 0; i < values.Length; i++) values[i] *= (long)factor;
                    break;
            }
        });
        EndInPlace("mul_", previous, null, InPlaceBackward.Scale, factor);
        return this;
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="target"/> (the shape before broadcasting).</summary>
    internal Tensor SumTo(int[] target)
    {
        if (Shapes.Equal(shape, target)) return this;
        var result = this;
        while (result.Rank > target.Length) result = result.Sum(0);
        for (int d = 0; d < target.Length; d++)
            if (target[d] == 1 && result.shape[d] != 1) result = result.Sum(d, keepDim: true);
        return result;
    }
}
