using System.Runtime.InteropServices;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// A native BLAS library's <c>cblas_sgemm</c>, loaded from a path the user gives (<c>mytorch bench --blas</c>), so that
/// MyTorch's GEMM and the reference can be timed alternately in one process: on a machine whose speed drifts (a
/// shared VM), separate runs of each side can land in different phases, while paired repetitions see the same ones.
/// A benchmark reference only: nothing else in MyTorch loads native code. The library stays loaded until the process
/// exits (unloading OpenBLAS while its threads wait is unsafe).
/// </summary>
public sealed class ReferenceBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112; // CBLAS_ORDER and CBLAS_TRANSPOSE

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemmFunction(int order, int transA, int transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetThreadsFunction(int threads);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr CoreNameFunction();

    private readonly SgemmFunction sgemm;
    private readonly SetThreadsFunction? setThreads;

    private ReferenceBlas(string path, SgemmFunction sgemm, SetThreadsFunction? setThreads, string? core)
    {
        Path = path;
        this.sgemm = sgemm;
        this.setThreads = setThreads;
        Core = core;
        ThreadSpin = core is null ? TimeSpan.Zero : OpenBlasThreadSpin(Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT"));
    }

    /// <summary>The library's path, as given.</summary>
    public string Path { get; }

    /// <summary>OpenBLAS's name for the kernels it chose (for example SkylakeX); null for other libraries.</summary>
    public string? Core { get; }

    /// <summary>
    /// How long the library's worker threads may keep spinning after a multithreaded call returns, waiting for the next
    /// one, before they sleep. While they spin they take cores from whatever runs next, so a paired comparison lets
    /// them settle before timing MyTorch. Zero for libraries other than OpenBLAS.
    /// </summary>
    public TimeSpan ThreadSpin { get; }

    /// <summary>The pause a paired comparison makes after this library's calls on <paramref name="threads"/> threads: <see cref="ThreadSpin"/>, or none on one thread (no workers spin then).</summary>
    public TimeSpan PauseAfterCall(int threads) => threads > 1 ? ThreadSpin : TimeSpan.Zero;

    /// <summary>
    /// OpenBLAS's spin: 2^OPENBLAS_THREAD_TIMEOUT time-stamp-counter cycles (4 to 30; 28 when unset, its build
    /// default), here converted at 1.5 GHz, slower than any counter it runs on, so the pause is never too short.
    /// At the default that is about 0.18 s: longer than half of a 0.5 s repetition.
    /// </summary>
    internal static TimeSpan OpenBlasThreadSpin(string? threadTimeout)
    {
        int exponent = int.TryParse(threadTimeout, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? Math.Clamp(value, 4, 30) : 28;
        return TimeSpan.FromSeconds((1L << exponent) / 1.5e9);
    }

    /// <summary>Whether the library's thread count can be set (OpenBLAS's <c>openblas_set_num_threads</c>).</summary>
    public bool CanSetThreads => setThreads is not null;

    /// <summary>Loads the library at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The file does not exist, cannot be loaded, or has no cblas_sgemm (the message names the path and the option).</exception>
    public static ReferenceBlas Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new ArgumentException($"Invalid value '{path}' for option --blas: no such file.");
        if (!NativeLibrary.TryLoad(System.IO.Path.GetFullPath(path), out var handle))
            throw new ArgumentException($"Invalid value '{path}' for option --blas: the file could not be loaded as a native library.");
        if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm))
        {
            NativeLibrary.Free(handle);
            throw new ArgumentException($"Invalid value '{path}' for option --blas: the library has no cblas_sgemm (give a CBLAS library such as OpenBLAS's libblas.so.3).");
        }
        var setThreads = NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var set)
            ? Marshal.GetDelegateForFunctionPointer<SetThreadsFunction>(set) : null;
        string? core = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var name)
            ? Marshal.PtrToStringAnsi(Marshal.GetDelegateForFunctionPointer<CoreNameFunction>(name)()) : null;
        return new ReferenceBlas(path, Marshal.GetDelegateForFunctionPointer<SgemmFunction>(sgemm), setThreads, core);
    }

    /// <summary>Sets the library's thread count where it can (OpenBLAS); otherwise does nothing.</summary>
    public void SetThreads(int threads) => setThreads?.Invoke(threads);

    /// <summary>C = op(A) op(B) on row-major arrays, with the same arguments as <see cref="MyTorch.Kernels.Gemm.Multiply{T}"/>.</summary>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        // The native code trusts the sizes: check them as Gemm.Multiply does, so a mistake cannot write past C.
        if ((long)(transposeA ? k : m) * lda > a.Length || (long)(transposeB ? n : k) * ldb > b.Length || (long)m * ldc > c.Length)
            throw new ArgumentException($"ReferenceBlas.Multiply: arrays too short for {m}x{k}x{n}.");
        sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);
    }
}
