namespace MyTorch;

/// <summary>Thread-local switch for gradient recording; see <see cref="Autograd.NoGrad"/>.</summary>
internal static class GradMode
{
    [ThreadStatic] private static bool disabled;

    public static bool IsEnabled
    {
        get => !disabled;
        set => disabled = !value;
    }
}

/// <summary>Restores the previous gradient-recording state when disposed. Made by <see cref="Autograd.NoGrad"/>.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool previous;

    internal GradModeScope(bool enabled)
    {
        previous = GradMode.IsEnabled;
        GradMode.IsEnabled = enabled;
    }

    /// <summary>Restores the state that was in force when the scope was opened.</summary>
    public void Dispose() => GradMode.IsEnabled = previous;
}

/// <summary>Thread-local switch for anomaly detection; see <see cref="Autograd.DetectAnomaly"/>.</summary>
internal static class AnomalyMode
{
    [ThreadStatic] private static bool enabled;

    public static bool IsEnabled
    {
        get => enabled;
        set => enabled = value;
    }
}
