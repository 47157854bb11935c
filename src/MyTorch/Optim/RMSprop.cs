using System.Globalization;
using System.Numerics;

namespace MyTorch.Optim;

/// <summary>
/// RMSprop, computing what PyTorch's <c>torch.optim.RMSprop</c> computes. For a parameter W with gradient g:
/// <code>
/// g   = g + weightDecay * W                              (when weightDecay != 0)
/// v   = alpha * v + (1 - alpha) * g * g                  (state "square_avg")
/// m   = alpha * m + (1 - alpha) * g                      (state "grad_avg", centered only)
/// d   = sqrt(v - m * m) + eps   (centered)   or   sqrt(v) + eps
/// b   = momentum * b + g / d                             (state "momentum_buffer", momentum > 0 only)
/// W   = W - lr * b   (momentum > 0)   or   W - lr * g / d
/// </code>
/// The state is in <see cref="Optimizer.StateDict"/>, so a resumed run continues exactly.
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>RMSprop over one set of parameters, with PyTorch's defaults.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false)
        : this(OneGroup(parameters), learningRate, alpha, eps, weightDecay, momentum, centered) { }

    /// <summary>RMSprop over parameter groups; options a group does not set take these values.</summary>
    public RMSprop(IEnumerable<ParameterGroup> groups, double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false)
        : base(groups, learningRate, new Dictionary<string, double>
        {
            ["alpha"] = alpha,
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0,
        })
    {
        foreach (var group in ParamGroups)
        {
            CheckLearningRate(group.LearningRate, nameof(RMSprop));
            Require(group.Options["alpha"] is >= 0 and <= 1, "alpha", group.Options["alpha"], "in [0, 1]");
            Require(group.Options["eps"] >= 0 && double.IsFinite(group.Options["eps"]), "eps", group.Options["eps"], "0 or more");
            Require(group.Options["weight_decay"] >= 0 && double.IsFinite(group.Options["weight_decay"]), "weight decay", group.Options["weight_decay"], "0 or more");
            Require(group.Options["momentum"] >= 0 && double.IsFinite(group.Options["momentum"]), "momentum", group.Options["momentum"], "0 or more");
        }
    }

    private static void Require(bool valid, string name, double value, string expected)
    {
        if (!valid)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"RMSprop: invalid {name}: {value} (must be {expected})."), name);
    }

    /// <inheritdoc/>
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient)
    {
        var options = group.Options;
        bool centered = group.Flag("centered");
        double momentum = options["momentum"];
        var squareAverage = State(parameter, "square_avg");
        var gradientAverage = centered ? State(parameter, "grad_avg") : null;
        var buffer = momentum > 0 ? State(parameter, "momentum_buffer") : null;
        if (parameter.DType == DType.Float32)
            Apply<float>(parameter.F32, gradient.F32, squareAverage.F32, gradientAverage?.F32, buffer?.F32, group.LearningRate,
                options["alpha"], options["eps"], options["weight_decay"], momentum);
        else
            Apply<double>(parameter.F64, gradient.F64, squareAverage.F64, gradientAverage?.F64, buffer?.F64, group.LearningRate,
                options["alpha"], options["eps"], options["weight_decay"], momentum);
    }

    private static void Apply<T>(Span<T> w, ReadOnlySpan<T> gradient, Span<T> v, Span<T> m, Span<T> b, double learningRate,
        double alphaValue, double epsilon, double weightDecay, double momentumValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alpha = T.CreateTruncating(alphaValue), rest = T.One - alpha, eps = T.CreateTruncating(epsilon);
        T decay = T.CreateTruncating(weightDecay), momentum = T.CreateTruncating(momentumValue), lr = T.CreateTruncating(learningRate);
        bool centered = !m.IsEmpty, withMomentum = !b.IsEmpty, decays = decay != T.Zero;
        for (int i = 0; i < w.Length; i++)
        {
            T g = decays ? gradient[i] + (w[i] * decay) : gradient[i];
            v[i] = (v[i] * alpha) + (g * g * rest);
            T d;
            if (centered)
            {
                m[i] = (m[i] * alpha) + (g * rest);
                d = T.Sqrt(v[i] - (m[i] * m[i])) + eps;
            }
            else
            {
                d = T.Sqrt(v[i]) + eps;
            }
            if (withMomentum)
            {
                b[i] = (b[i] * momentum) + (g / d);
                w[i] -= b[i] * lr;
            }
            else
            {
                w[i] -= g / d * lr;
            }
        }
    }
}
