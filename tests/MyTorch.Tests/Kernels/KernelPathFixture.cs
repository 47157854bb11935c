using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>
/// The tests that set the process-wide <see cref="KernelOptions.Path"/>: they run one at a time, after every
/// parallel test has finished, so no other test's kernels ever see a forced path.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelPathSerial
{
    /// <summary>The collection's name, for <c>[Collection(KernelPathSerial.Name)]</c>.</summary>
    public const string Name = "Kernel path (serial)";
}

/// <summary>Runs code under a forced kernel path and restores the previous one, whatever happens.</summary>
internal static class KernelPaths
{
    /// <summary>Every path, Auto excluded: the forced ones.</summary>
    public static readonly KernelPath[] Forced = [KernelPath.Scalar, KernelPath.Vector128, KernelPath.Vector256, KernelPath.Vector512];

    /// <summary>The forced paths this machine accelerates (Scalar always).</summary>
    public static KernelPath[] Supported => [.. Forced.Where(KernelOptions.IsSupported)];

    /// <summary>All forced paths as theory data; a test for a path the machine lacks checks that setting it throws.</summary>
    public static TheoryData<KernelPath> All => new(Forced);

    /// <summary>
    /// Runs <paramref name="body"/> with <see cref="KernelOptions.Path"/> set to <paramref name="path"/> and returns
    /// true; when the machine does not accelerate the path, checks that setting it throws and returns false.
    /// </summary>
    public static bool Run(KernelPath path, Action body)
    {
        var saved = KernelOptions.Path;
        if (!KernelOptions.IsSupported(path))
        {
            Assert.Throws<ArgumentException>(() => KernelOptions.Path = path);
            Assert.Equal(saved, KernelOptions.Path);
            return false;
        }

        try
        {
            KernelOptions.Path = path;
            body();
        }
        finally
        {
            KernelOptions.Path = saved;
        }

        return true;
    }

    /// <summary>The element count of the widest vector any path uses (Vector512): 16 floats, 8 doubles.</summary>
    public static int WidestCount<T>() => 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
