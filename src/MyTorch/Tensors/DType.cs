namespace MyTorch;

#pragma warning disable CA1720 // The names are PyTorch's dtype names; they are meant to name the types.

/// <summary>The element type of a <see cref="Tensor"/>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the default for training.</summary>
    Float32 = 0,

    /// <summary>64-bit IEEE float, used by gradient checks and where precision matters.</summary>
    Float64 = 1,

    /// <summary>64-bit signed integer, for class labels and indices; not differentiable.</summary>
    Int64 = 2,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Whether tensors of this type can take part in automatic differentiation.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>The size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>The lower-case name PyTorch uses (float32, float64, int64).</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        _ => dtype.ToString(),
    };
}
