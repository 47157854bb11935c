namespace MyTorch;

// Whole-tensor checks of element values.
public sealed partial class Tensor
{
    /// <summary>Whether every element is finite (no NaN or infinity).</summary>
    public bool AllFinite() => DType switch
    {
        DType.Float32 => Kernels.DataKernels.IndexOfNonFinite<float>(F32) < 0,
        DType.Float64 => Kernels.DataKernels.IndexOfNonFinite<double>(F64) < 0,
        _ => true,
    };
}
