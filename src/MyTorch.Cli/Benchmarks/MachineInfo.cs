using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json.Nodes;
using MyTorch.Kernels;

namespace MyTorch.Cli.Benchmarks;

/// <summary>What the numbers were measured on: CPU, runtime, SIMD support, GC mode and how MyTorch was built.</summary>
public static class MachineInfo
{
    /// <summary>Whether the MyTorch library was compiled with optimizations (a Debug build's numbers mean little).</summary>
    public static bool LibraryOptimized =>
        typeof(Gemm).Assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };

    /// <summary>The description as JSON.</summary>
    public static JsonObject ToJson() => new()
    {
        ["cpu"] = CpuModel(),
        ["logical_processors"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["library_build"] = LibraryOptimized ? "Release" : "Debug",
        ["vector512"] = Vector512.IsHardwareAccelerated,
        ["vector256"] = Vector256.IsHardwareAccelerated,
        ["avx2"] = Avx2.IsSupported,
        ["fma"] = Fma.IsSupported,
        ["avx512f"] = Avx512F.IsSupported,
        ["server_gc"] = GCSettings.IsServerGC,
        ["gc_latency_mode"] = GCSettings.LatencyMode.ToString(),
    };

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            foreach (var line in File.ReadLines(cpuInfo))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
            // Unreadable: fall through to the architecture alone.
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
