using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.Intrinsics;

namespace MyTorch.Kernels;

/// <summary>Process-wide settings for the compute kernels.</summary>
public static class KernelOptions
{
    /// <summary>The environment variable that sets the default of <see cref="MaxThreads"/>.</summary>
    public const string NumThreadsEnvironmentVariable = "MYTORCH_NUM_THREADS";

    private static int s_maxThreads = ReadDefaultMaxThreads();

    /// <summary>
    /// The most threads a kernel may use for one call. Defaults to <see cref="Environment.ProcessorCount"/>,
    /// or to the value of the <c>MYTORCH_NUM_THREADS</c> environment variable when that is a positive integer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is less than 1.</exception>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set
        {
            if (value < 1)
            {
                ThrowMaxThreadsOutOfRange(value);
            }

            Volatile.Write(ref s_maxThreads, value);
        }
    }

    /// <summary>The default for <see cref="MaxThreads"/>: the environment variable when valid, else the processor count.</summary>
    internal static int ReadDefaultMaxThreads()
    {
        string? text = Environment.GetEnvironmentVariable(NumThreadsEnvironmentVariable);
        return ParseThreadCount(text) ?? Math.Max(1, Environment.ProcessorCount);
    }

    /// <summary>Parses a thread count; null unless the text is a positive integer.</summary>
    internal static int? ParseThreadCount(string? text)
    {
        if (!string.IsNullOrWhiteSpace(text)
            && int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            && value > 0)
        {
            return value;
        }

        return null;
    }

    private static void ThrowMaxThreadsOutOfRange(int value) =>
        throw new ArgumentOutOfRangeException(
            nameof(value), value, $"MaxThreads must be at least 1, but was {value}.");

    /// <summary>The environment variable that sets the default of <see cref="Path"/>.</summary>
    public const string KernelPathEnvironmentVariable = "MYTORCH_KERNEL_PATH";

    private static readonly Lock PathGate = new();

    // "Use vectors of at most this width": the widest one a kernel may use is the first that is true. Plain static
    // fields (not properties), read once per kernel call, written only by Apply; declared before s_path, whose
    // initializer sets them.

    /// <summary>Kernels may use <see cref="System.Runtime.Intrinsics.Vector512{T}"/> (the active path is Vector512).</summary>
    internal static bool UseVector512;

    /// <summary>Kernels may use <see cref="System.Runtime.Intrinsics.Vector256{T}"/> (the active path is Vector256 or wider).</summary>
    internal static bool UseVector256;

    /// <summary>Kernels may use <see cref="System.Runtime.Intrinsics.Vector128{T}"/> (the active path is Vector128 or wider).</summary>
    internal static bool UseVector128;

    private static volatile KernelPath s_path = InitializePath();

    /// <summary>
    /// The vector width MyTorch's own kernels use: <see cref="KernelPath.Auto"/> (the default: the widest the hardware
    /// accelerates) or one forced path, for tests and benchmarks. The default comes from the <c>MYTORCH_KERNEL_PATH</c>
    /// environment variable (<c>auto</c>, <c>scalar</c>, <c>vector128</c>, <c>vector256</c> or <c>vector512</c>, any
    /// case); a value that is not one of these, or names a path this machine does not accelerate, is ignored (Auto).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The switch covers every hand-written vector loop in MyTorch: the GEMM micro-kernels and their packing (a
    /// forced path also sets the micro-tile width and k-block depth that go with it), the single-row GEMM, and the
    /// fused activation backward passes. Element-wise ops and reductions that delegate to
    /// <c>System.Numerics.Tensors.TensorPrimitives</c> choose their vector width inside that library, which this switch
    /// cannot force; to restrict those too, start the process with the runtime's own settings, which apply to the
    /// whole process and to this switch's Auto: <c>DOTNET_PreferredVectorBitWidth=256</c> or (on .NET 10)
    /// <c>DOTNET_EnableAVX512=0</c> for no 512-bit vectors (.NET 8 and 9 spell it <c>DOTNET_EnableAVX512F=0</c>),
    /// <c>DOTNET_EnableAVX2=0</c> for no 256-bit vectors (and no FMA), <c>DOTNET_EnableHWIntrinsic=0</c> for no SIMD.
    /// </para>
    /// <para>
    /// The setting is process-wide. Change it only while no kernel is running on another thread (at start-up, or
    /// between runs, as the tests and <c>mytorch bench --kernel-path</c> do): a GEMM that is running when the path
    /// changes could pack with one micro-tile width and compute with another.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">The path set is not hardware accelerated on this machine (for example
    /// <see cref="KernelPath.Vector512"/> on a CPU without AVX-512); the message lists the paths it supports.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value set is not a <see cref="KernelPath"/> member.</exception>
    public static KernelPath Path
    {
        get => s_path;
        set
        {
            if (!Enum.IsDefined(value))
            {
                ThrowPathOutOfRange(value);
            }

            if (!IsSupported(value))
            {
                ThrowPathNotSupported(value);
            }

            lock (PathGate)
            {
                Apply(value);
            }
        }
    }

    /// <summary>
    /// The path the kernels actually use: <see cref="Path"/>, with <see cref="KernelPath.Auto"/> resolved to the
    /// widest path this machine accelerates (<see cref="KernelPath.Vector512"/> where
    /// <see cref="System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated"/>, else Vector256, Vector128, Scalar).
    /// Never <see cref="KernelPath.Auto"/>.
    /// </summary>
    public static KernelPath ActivePath => Resolve(Path);

    /// <summary>
    /// Whether <paramref name="path"/> can be set on this machine: <see cref="KernelPath.Auto"/> and
    /// <see cref="KernelPath.Scalar"/> always, a vector path when the runtime accelerates vectors of that width here.
    /// </summary>
    /// <param name="path">The path to check.</param>
    /// <returns>True when setting <see cref="Path"/> to <paramref name="path"/> succeeds.</returns>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Auto or KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Vector256 => Vector256.IsHardwareAccelerated,
        KernelPath.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The paths <see cref="Path"/> accepts on this machine, Auto first, then from narrowest to widest.</summary>
    public static IReadOnlyList<KernelPath> SupportedPaths { get; } =
        [.. Enum.GetValues<KernelPath>().Where(IsSupported)];

    /// <summary>Parses a path name as the environment variable and <c>mytorch bench --kernel-path</c> take it.</summary>
    /// <param name="text">auto, scalar, vector128, vector256 or vector512, in any case; surrounding blanks are ignored.</param>
    /// <returns>The path, or null when the text is none of these (numbers are not accepted).</returns>
    public static KernelPath? ParseKernelPath(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "AUTO" => KernelPath.Auto,
        "SCALAR" => KernelPath.Scalar,
        "VECTOR128" => KernelPath.Vector128,
        "VECTOR256" => KernelPath.Vector256,
        "VECTOR512" => KernelPath.Vector512,
        _ => null,
    };

    /// <summary>The lower-case name of a path, as <see cref="ParseKernelPath"/> reads it and the bench JSON writes it.</summary>
    /// <param name="path">The path.</param>
    /// <returns>For example <c>vector256</c>.</returns>
    public static string FormatKernelPath(KernelPath path) => path.ToString().ToLowerInvariant();

    /// <summary>The widest path this machine accelerates for <see cref="KernelPath.Auto"/>, else the path itself.</summary>
    internal static KernelPath Resolve(KernelPath path) => path != KernelPath.Auto ? path
        : Vector512.IsHardwareAccelerated ? KernelPath.Vector512
        : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
        : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
        : KernelPath.Scalar;

    /// <summary>The default for <see cref="Path"/>: the environment variable when it names a supported path, else Auto.</summary>
    internal static KernelPath ReadDefaultPath()
    {
        KernelPath? path = ParseKernelPath(Environment.GetEnvironmentVariable(KernelPathEnvironmentVariable));
        return path is KernelPath p && IsSupported(p) ? p : KernelPath.Auto;
    }

    private static KernelPath InitializePath()
    {
        KernelPath path = ReadDefaultPath();
        Apply(path);
        return path;
    }

    /// <summary>Stores the path and the flags the kernels read (the flags first, so a reader of the path sees them set).</summary>
    private static void Apply(KernelPath path)
    {
        KernelPath active = Resolve(path);
        UseVector512 = active == KernelPath.Vector512;
        UseVector256 = active is KernelPath.Vector256 or KernelPath.Vector512;
        UseVector128 = active is KernelPath.Vector128 or KernelPath.Vector256 or KernelPath.Vector512;
        s_path = path;
    }

    [DoesNotReturn]
    private static void ThrowPathOutOfRange(KernelPath value) =>
        throw new ArgumentOutOfRangeException(
            nameof(value), value, $"KernelOptions.Path: {(int)value} is not a KernelPath (Auto, Scalar, Vector128, Vector256 or Vector512).");

    [DoesNotReturn]
    private static void ThrowPathNotSupported(KernelPath value) =>
        throw new ArgumentException(
            $"KernelOptions.Path: {value} is not hardware accelerated on this machine (it needs {Requirement(value)}); "
            + $"this machine supports {string.Join(", ", SupportedPaths)}.",
            nameof(value));

    private static string Requirement(KernelPath path) => path switch
    {
        KernelPath.Vector512 => "AVX-512 and Vector512.IsHardwareAccelerated, which DOTNET_PreferredVectorBitWidth=256 or DOTNET_EnableAVX512=0 turn off",
        KernelPath.Vector256 => "AVX2 and Vector256.IsHardwareAccelerated, which DOTNET_EnableAVX2=0 turns off",
        _ => "SSE or Arm AdvSIMD and Vector128.IsHardwareAccelerated, which DOTNET_EnableHWIntrinsic=0 turns off",
    };
}

/// <summary>Which vector width MyTorch's own kernels use (see <see cref="KernelOptions.Path"/>).</summary>
public enum KernelPath
{
    /// <summary>The widest width this machine accelerates: Vector512, else Vector256, else Vector128, else Scalar (the default).</summary>
    Auto,

    /// <summary>Plain scalar loops, no SIMD: what runs on hardware without vector acceleration.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE on x86, AdvSIMD on Arm).</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2 on x86) and narrower.</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512 on x86) and narrower.</summary>
    Vector512,
}
