using MyTorch.NN;

namespace MyTorch.Tests.Compiled;

/// <summary>The activation layers the planned paths accept, by the short names their tests use.</summary>
internal static class PlannedActivations
{
    /// <summary>relu, leaky (slope 0.1), leaky-negative (slope -0.3), sigmoid, tanh; anything else is Identity.</summary>
    public static Module Make(string name) => name switch
    {
        "relu" => new ReLU(),
        "leaky" => new LeakyReLU(0.1),
        "leaky-negative" => new LeakyReLU(-0.3),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        _ => new Identity(),
    };
}
