using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Output activations that constrain a regression network's predictions (seed 001, question 5):
/// y &gt;= 0 (<see cref="ReLU"/> or <see cref="Softplus"/>), y &lt;= 0 (<see cref="NegativeSoftplus"/>), and
/// a &lt;= y &lt;= b (<see cref="Bounded"/>).
/// </summary>
public static class OutputActivations
{
    /// <summary>Parses a command-line name: none, relu, softplus, negative, or range:A,B.</summary>
    public static Module Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.Trim().ToLowerInvariant();
        if (lower.StartsWith("range:", StringComparison.Ordinal))
        {
            var parts = lower["range:".Length..].Split(',');
            if (parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double low)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double high)
                && low < high && double.IsFinite(low) && double.IsFinite(high))
                return new Bounded(low, high);
            throw new ArgumentException($"Invalid output activation '{text}': expected range:A,B with numbers A < B.", nameof(text));
        }
        return lower switch
        {
            "none" or "identity" => new Identity(),
            "relu" => new ReLU(),
            "softplus" => new Softplus(),
            "negative" => new NegativeSoftplus(),
            _ => throw new ArgumentException($"Invalid output activation '{text}': expected none, relu, softplus, negative or range:A,B.", nameof(text)),
        };
    }
}

/// <summary>y = -softplus(-z) &lt;= 0: a smooth upper bound at zero, for targets that are never positive.</summary>
public sealed class NegativeSoftplus : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return -(-input).Softplus();
    }
}

/// <summary>y = a + (b - a) sigmoid(z), so a &lt;= y &lt;= b (strictly inside for finite z).</summary>
public sealed class Bounded : Module
{
    /// <summary>Creates the activation for the range [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public Bounded(double low, double high)
    {
        if (!(low < high) || double.IsInfinity(low) || double.IsInfinity(high))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Bounded: needs finite low < high, got {low} and {high}."), nameof(high));
        Low = low;
        High = high;
    }

    /// <summary>The lower bound a.</summary>
    public double Low { get; }

    /// <summary>The upper bound b.</summary>
    public double High { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Low + (High - Low) * input.Sigmoid();
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"low={Low}, high={High}");
}
