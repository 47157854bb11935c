using System.Runtime.Intrinsics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>The kernel-path switch itself: parsing, defaults, the flags the kernels read, and errors.</summary>
[Collection(KernelPathSerial.Name)]
public class KernelOptionsPathTests
{
    [Fact]
    public void AutoResolvesToTheWidestAcceleratedPath()
    {
        var expected = Vector512.IsHardwareAccelerated ? KernelPath.Vector512
            : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
            : KernelPath.Scalar;
        var saved = KernelOptions.Path;
        try
        {
            KernelOptions.Path = KernelPath.Auto;
            Assert.Equal(KernelPath.Auto, KernelOptions.Path);
            Assert.Equal(expected, KernelOptions.ActivePath);
            Assert.Equal(Vector512.IsHardwareAccelerated, KernelOptions.UseVector512);
            Assert.Equal(Vector256.IsHardwareAccelerated, KernelOptions.UseVector256);
            Assert.Equal(Vector128.IsHardwareAccelerated, KernelOptions.UseVector128);
        }
        finally
        {
            KernelOptions.Path = saved;
        }
    }

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void AForcedPathSetsTheFlagsForVectorsOfAtMostItsWidth(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            Assert.Equal(path, KernelOptions.Path);
            Assert.Equal(path, KernelOptions.ActivePath);
            Assert.Equal(path == KernelPath.Vector512, KernelOptions.UseVector512);
            Assert.Equal(path is KernelPath.Vector256 or KernelPath.Vector512, KernelOptions.UseVector256);
            Assert.Equal(path != KernelPath.Scalar, KernelOptions.UseVector128);
            Assert.Contains(path, KernelOptions.SupportedPaths);
        });

    [Fact]
    public void SupportedPathsFollowTheHardware()
    {
        Assert.Equal(KernelPath.Auto, KernelOptions.SupportedPaths[0]);
        Assert.Contains(KernelPath.Scalar, KernelOptions.SupportedPaths);
        Assert.Equal(Vector128.IsHardwareAccelerated, KernelOptions.SupportedPaths.Contains(KernelPath.Vector128));
        Assert.Equal(Vector256.IsHardwareAccelerated, KernelOptions.SupportedPaths.Contains(KernelPath.Vector256));
        Assert.Equal(Vector512.IsHardwareAccelerated, KernelOptions.SupportedPaths.Contains(KernelPath.Vector512));
    }

    [Fact]
    public void AnUnacceleratedPathThrowsNamingItAndWhatTheMachineSupports()
    {
        var saved = KernelOptions.Path;
        foreach (var path in KernelPaths.Forced.Where(p => !KernelOptions.IsSupported(p)))
        {
            var error = Assert.Throws<ArgumentException>(() => KernelOptions.Path = path);
            Assert.Contains(path.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("supports Auto, Scalar", error.Message, StringComparison.Ordinal);
            Assert.Equal(saved, KernelOptions.Path);
        }

        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.Path = (KernelPath)42);
        Assert.Contains("42", outOfRange.Message, StringComparison.Ordinal);
        Assert.Equal(saved, KernelOptions.Path);
    }

    [Theory]
    [InlineData("auto", KernelPath.Auto)]
    [InlineData("SCALAR", KernelPath.Scalar)]
    [InlineData(" Vector128 ", KernelPath.Vector128)]
    [InlineData("vector256", KernelPath.Vector256)]
    [InlineData("VeCtOr512", KernelPath.Vector512)]
    [InlineData("avx2", null)]
    [InlineData("3", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void PathNamesParseInAnyCase(string? text, KernelPath? expected) =>
        Assert.Equal(expected, KernelOptions.ParseKernelPath(text));

    [Fact]
    public void TheEnvironmentVariableSetsTheDefaultAndABadValueIsIgnored()
    {
        string? saved = Environment.GetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable, "Scalar");
            Assert.Equal(KernelPath.Scalar, KernelOptions.ReadDefaultPath());
            Environment.SetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable, "vector256");
            Assert.Equal(KernelOptions.IsSupported(KernelPath.Vector256) ? KernelPath.Vector256 : KernelPath.Auto, KernelOptions.ReadDefaultPath());
            Environment.SetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable, "fastest");
            Assert.Equal(KernelPath.Auto, KernelOptions.ReadDefaultPath());
            Environment.SetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable, null);
            Assert.Equal(KernelPath.Auto, KernelOptions.ReadDefaultPath());
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelOptions.KernelPathEnvironmentVariable, saved);
        }
    }
}
