namespace MyTorch.Kernels;

/// <summary>
/// One vector width as a type (<see cref="V512{T}"/>, <see cref="V256{T}"/>, <see cref="V128{T}"/>), so a kernel loop
/// is written once, generic over the width and its vector type <typeparamref name="TVector"/>, and the JIT compiles it
/// for each width separately, as if it were written with that System.Runtime.Intrinsics vector type.
/// </summary>
/// <typeparam name="TVector">The vector type: <see cref="System.Runtime.Intrinsics.Vector512{T}"/> and so on.</typeparam>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// The loops hold <typeparamref name="TVector"/> values themselves, not a wrapper around them: the JIT then allocates
/// registers and picks instruction forms (FMA's accumulator form among them) as for hand-written vector code. Only what
/// MyTorch's kernels use. Each operation rounds as its System.Runtime.Intrinsics counterpart does, so a loop gives the
/// same bits at every width, except <see cref="MultiplyAdd"/>, which is fused where the hardware has it.
/// </remarks>
internal interface IVectorWidth<TVector, T>
    where TVector : struct
    where T : unmanaged
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>
    /// Whether kernels may use this width now: <see cref="KernelOptions.Path"/> allows it and the runtime supports
    /// vectors of <typeparamref name="T"/> at it.
    /// </summary>
    static abstract bool IsEnabled { get; }

    /// <summary>All elements zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>All elements <paramref name="value"/>.</summary>
    static abstract TVector Create(T value);

    /// <summary>Reads <see cref="Count"/> elements from <paramref name="offset"/> elements past <paramref name="source"/>.</summary>
    static abstract TVector LoadUnsafe(ref T source, nuint offset);

    /// <summary>Reads <see cref="Count"/> elements from <paramref name="source"/>.</summary>
    static abstract unsafe TVector Load(T* source);

    /// <summary>Writes <paramref name="vector"/> at <paramref name="offset"/> elements past <paramref name="destination"/>.</summary>
    static abstract void StoreUnsafe(TVector vector, ref T destination, nuint offset);

    /// <summary>Writes <paramref name="vector"/> at <paramref name="destination"/>.</summary>
    static abstract unsafe void Store(TVector vector, T* destination);

    /// <summary>Per-element sum.</summary>
    static abstract TVector Add(TVector left, TVector right);

    /// <summary>Per-element product.</summary>
    static abstract TVector Multiply(TVector left, TVector right);

    /// <summary>Bitwise and.</summary>
    static abstract TVector BitwiseAnd(TVector left, TVector right);

    /// <summary>Per element, all bits set where <paramref name="left"/> &gt; <paramref name="right"/>, else zero.</summary>
    static abstract TVector GreaterThan(TVector left, TVector right);

    /// <summary>left * right + addend, one rounding where the CPU has fused multiply-add (FMA, AVX-512, AdvSimd), else two.</summary>
    static abstract TVector MultiplyAdd(TVector left, TVector right, TVector addend);
}

/// <summary>
/// An element-wise loop written once: <see cref="Vectors{TWidth, TVector}"/> runs whole vectors of one width, and
/// <see cref="Scalars"/> the elements left; <see cref="VectorLoop.Run{T, TLoop}"/> calls them from the widest width
/// <see cref="KernelOptions.Path"/> allows down to scalar.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IVectorLoop<T>
    where T : unmanaged
{
    /// <summary>Processes whole vectors from element <paramref name="i"/> while one fits below <paramref name="count"/>; returns the first element left.</summary>
    nuint Vectors<TWidth, TVector>(nuint i, nuint count)
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct;

    /// <summary>Processes elements [<paramref name="i"/>, <paramref name="count"/>) one at a time.</summary>
    void Scalars(nuint i, nuint count);
}

/// <summary>Runs an <see cref="IVectorLoop{T}"/> at the widths <see cref="KernelOptions.Path"/> allows.</summary>
internal static class VectorLoop
{
    /// <summary>
    /// Elements [0, <paramref name="count"/>): Vector512 while whole ones fit, then Vector256, then Vector128 (each only
    /// where the path allows it), then scalars.
    /// </summary>
    public static void Run<T, TLoop>(ref TLoop loop, nuint count)
        where T : unmanaged
        where TLoop : IVectorLoop<T>, allows ref struct
    {
        nuint i = 0;
        if (V512<T>.IsEnabled)
        {
            i = loop.Vectors<V512<T>, System.Runtime.Intrinsics.Vector512<T>>(i, count);
        }

        if (V256<T>.IsEnabled)
        {
            i = loop.Vectors<V256<T>, System.Runtime.Intrinsics.Vector256<T>>(i, count);
        }

        if (V128<T>.IsEnabled)
        {
            i = loop.Vectors<V128<T>, System.Runtime.Intrinsics.Vector128<T>>(i, count);
        }

        loop.Scalars(i, count);
    }
}
