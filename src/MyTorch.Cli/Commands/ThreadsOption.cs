using System.CommandLine;
using MyTorch.Kernels;

namespace MyTorch.Cli.Commands;

/// <summary>The <c>--threads N</c> option the commands that run kernels share.</summary>
public static class ThreadsOption
{
    /// <summary>A new <c>--threads</c> option that accepts a positive number.</summary>
    public static Option<int?> Create()
    {
        var option = new Option<int?>("--threads") { Description = "threads for the kernels (default: all cores, or MYTORCH_NUM_THREADS)" };
        CommandLineErrors.AddRange(option, 1, "a positive number");
        return option;
    }

    /// <summary>Sets <see cref="KernelOptions.MaxThreads"/> when the option was given.</summary>
    public static void Apply(ParseResult result, Option<int?> option)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetValue(option) is int threads) KernelOptions.MaxThreads = threads;
    }
}
