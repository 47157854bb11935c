using System.Globalization;

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
}
