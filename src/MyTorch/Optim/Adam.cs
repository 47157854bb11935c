namespace MyTorch.Optim;

/// <summary>
/// Adam (Kingma and Ba, 2015), computing exactly what PyTorch's <c>torch.optim.Adam</c> computes. At a
/// parameter W's t-th step (t = 1, 2, ...; state "step"), with gradient g:
/// <code>
/// g      = g + weightDecay * W                          (L2 penalty, when weightDecay != 0)
/// m_t    = beta1 * m_(t-1) + (1 - beta1) * g            (state "exp_avg",    m_0 = 0)
/// v_t    = beta2 * v_(t-1) + (1 - beta2) * g * g        (state "exp_avg_sq", v_0 = 0)
/// vmax_t = max(vmax_(t-1), v_t)                         (state "max_exp_avg_sq", amsgrad only; then used in place of v_t)
/// W_t    = W_(t-1) - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
/// </code>
/// Note that eps is added after the bias correction of sqrt(v_t), as in PyTorch. The moments and step counts
/// are in <see cref="Optimizer.StateDict"/>, so a run resumed from it continues exactly.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Adam over one set of parameters, with PyTorch's defaults.</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : this(OneGroup(parameters), learningRate, beta1, beta2, eps, weightDecay, amsgrad) { }

    /// <summary>Adam over parameter groups; options a group does not set take these values.</summary>
    public Adam(IEnumerable<ParameterGroup> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : base(groups, learningRate, AdamUpdate.Defaults(beta1, beta2, eps, weightDecay, amsgrad))
    {
        foreach (var group in ParamGroups)
        {
            CheckLearningRate(group.LearningRate, nameof(Adam));
            AdamUpdate.Validate(group, nameof(Adam));
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient)
    {
        double step = ScalarState(parameter, AdamUpdate.Step) + 1;
        SetScalarState(parameter, AdamUpdate.Step, step);
        AdamUpdate.Apply(nameof(Adam), group, parameter, gradient, State(parameter, AdamUpdate.ExpAvg), State(parameter, AdamUpdate.ExpAvgSq),
            group.Flag(AdamUpdate.Amsgrad) ? State(parameter, AdamUpdate.MaxExpAvgSq) : null, step, decoupled: false);
    }
}
