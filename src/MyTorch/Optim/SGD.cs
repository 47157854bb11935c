using System.Globalization;

namespace MyTorch.Optim;

/// <summary>
/// Stochastic gradient descent with momentum exactly as seed 004 writes it:
/// <code>
/// g    = grad + weightDecay * W                      (L2 penalty, when weightDecay &gt; 0)
/// dW_k = momentum * dW_(k-1) - lr * g                (dW_0 = 0)
/// W_k  = W_(k-1) + dW_k                              (or W_(k-1) + momentum * dW_k - lr * g with Nesterov)
/// </code>
/// The buffer dW (state "momentum_buffer") is the seed's velocity, which includes the learning rate. With a
/// constant learning rate this gives the same weights as PyTorch's SGD, whose buffer excludes it.
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>SGD over one set of parameters.</summary>
    public SGD(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : this(OneGroup(parameters), learningRate, momentum, nesterov, weightDecay) { }

    /// <summary>SGD over parameter groups; options a group does not set take these values.</summary>
    public SGD(IEnumerable<ParameterGroup> groups, double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(groups, learningRate, new Dictionary<string, double>
        {
            ["momentum"] = momentum,
            ["nesterov"] = nesterov ? 1 : 0,
            ["weight_decay"] = weightDecay,
        })
    {
        foreach (var group in ParamGroups)
        {
            CheckLearningRate(group.LearningRate, nameof(SGD));
            double m = group.Options["momentum"];
            if (!(m >= 0 && m < 1))
                throw new ArgumentException($"SGD: invalid momentum: {m.ToString(CultureInfo.InvariantCulture)} (must be in [0, 1)).", nameof(momentum));
            double wd = group.Options["weight_decay"];
            if (!(wd >= 0) || double.IsInfinity(wd))
                throw new ArgumentException($"SGD: invalid weight decay: {wd.ToString(CultureInfo.InvariantCulture)} (must be non-negative).", nameof(weightDecay));
            if (group.Flag("nesterov") && m == 0)
                throw new ArgumentException("SGD: Nesterov momentum needs a momentum above 0.", nameof(nesterov));
        }
    }

    /// <summary>The seed's momentum (velocity) buffer dW of <paramref name="parameter"/>; null until its first step with momentum.</summary>
    public Tensor? MomentumBuffer(Tensor parameter) => GetState(parameter, "momentum_buffer");

    /// <inheritdoc/>
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient)
    {
        double lr = group.LearningRate, momentum = group.Options["momentum"], weightDecay = group.Options["weight_decay"];
        var g = gradient;
        if (weightDecay != 0) g = g + parameter * weightDecay;
        if (momentum == 0)
        {
            parameter.AddInPlace(g, -lr);
            return;
        }
        var velocity = State(parameter, "momentum_buffer");
        bool nesterov = group.Flag("nesterov");
        if (!nesterov && Shapes.Equal(g.Shape, parameter.Shape) && g.DType == parameter.DType)
        {
            // The common case in one pass instead of three; the same roundings, so the same numbers.
            switch (parameter.DType)
            {
                case DType.Float32:
                    Kernels.OptimizerKernels.SgdMomentum<float>(parameter.F32, velocity.F32, g.F32, (float)momentum, (float)-lr);
                    return;
                case DType.Float64:
                    Kernels.OptimizerKernels.SgdMomentum<double>(parameter.F64, velocity.F64, g.F64, momentum, -lr);
                    return;
            }
        }
        velocity.MultiplyInPlace(momentum).AddInPlace(g, -lr);
        if (nesterov)
            parameter.AddInPlace(velocity, momentum).AddInPlace(g, -lr);
        else
            parameter.AddInPlace(velocity);
    }
}
