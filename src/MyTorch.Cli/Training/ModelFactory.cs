using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Training;

/// <summary>Builds the network, loss and optimizer a <see cref="TrainConfig"/> describes.</summary>
public static class ModelFactory
{
    /// <summary>
    /// Linear → BatchNorm (first N hidden layers) → activation → Dropout for each hidden layer, then the output
    /// Linear and, for regression, the output activation. Module indices match an equivalent PyTorch nn.Sequential.
    /// </summary>
    public static Sequential Build(TrainConfig config, int inputs, int outputs, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        var net = new Sequential();
        int previous = inputs;
        for (int i = 0; i < config.Hidden.Length; i++)
        {
            net.Add(new Linear(previous, config.Hidden[i], generator: generator));
            if (i < config.BatchNorm) net.Add(new BatchNorm1d(config.Hidden[i]));
            net.Add(Activation(config.Activation));
            if (config.Dropout > 0) net.Add(new Dropout(config.Dropout, generator));
            previous = config.Hidden[i];
        }
        net.Add(new Linear(previous, outputs, generator: generator));
        if (config.IsRegression && config.OutputActivation != "none") net.Add(OutputActivations.Parse(config.OutputActivation));
        return net;
    }

    /// <summary>The hidden activation module for a command-line name.</summary>
    public static Module Activation(string name) => name switch
    {
        "relu" => new ReLU(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "leaky-relu" => new LeakyReLU(),
        "softplus" => new Softplus(),
        "gelu" => new GELU(),
        "identity" => new Identity(),
        _ => throw new ArgumentException($"Invalid value '{name}' for option --activation.", nameof(name)),
    };

    /// <summary>The number of network outputs for a task with <paramref name="classes"/> classes or targets.</summary>
    public static int Outputs(TrainConfig config, int classes) =>
        !config.IsRegression && config.Loss == "bce" ? 1 : classes;

    /// <summary>The training loss (mean over the batch).</summary>
    public static Loss Criterion(TrainConfig config) =>
        config.IsRegression ? new MSELoss() : config.Loss == "bce" ? new BCEWithLogitsLoss() : new CrossEntropyLoss();

    /// <summary>The optimizer over the network's parameters.</summary>
    public static Optimizer Optimizer(TrainConfig config, Module model)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.Parameters();
        double lr = config.EffectiveLearningRate;
        return config.Optimizer switch
        {
            "adam" => new Adam(parameters, lr, weightDecay: config.WeightDecay),
            "adamw" => new AdamW(parameters, lr, weightDecay: config.WeightDecay),
            _ => new SGD(parameters, lr, config.Momentum, weightDecay: config.WeightDecay),
        };
    }
}
