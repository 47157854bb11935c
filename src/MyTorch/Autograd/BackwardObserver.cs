namespace MyTorch;

/// <summary>
/// Watches a backward pass node by node, for step-by-step traces (<see cref="Visualization.BackpropTrace"/>).
/// Called on the thread running the pass, once per tensor that receives a gradient, in the order the pass
/// visits them, before the node's saved values are released.
/// </summary>
internal interface IBackwardObserver
{
    /// <summary>
    /// <paramref name="tensor"/> received <paramref name="gradient"/> (dL/dtensor, all contributions summed); its node
    /// sent <paramref name="inputGradients"/> to its inputs (null for a leaf).
    /// </summary>
    void OnGradient(Tensor tensor, Tensor gradient, Tensor?[]? inputGradients);
}

/// <summary>
/// The observer of backward passes on this thread. Null unless a trace is recording, so the engine pays one
/// thread-static read per pass when no one watches.
/// </summary>
internal static class BackwardObservation
{
    [ThreadStatic] private static IBackwardObserver? current;

    public static IBackwardObserver? Current => current;

    /// <summary>Installs <paramref name="observer"/> until the returned scope is disposed.</summary>
    public static Scope Observe(IBackwardObserver observer) => new(observer);

    /// <summary>Restores the previous observer when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IBackwardObserver? previous;

        internal Scope(IBackwardObserver observer)
        {
            previous = current;
            current = observer;
        }

        public void Dispose() => current = previous;
    }
}
