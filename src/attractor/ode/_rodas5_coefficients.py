"""Coefficients of Rodas5, Di Marzo's 5(4) Rosenbrock method (as data for :mod:`attractor.ode.rosenbrock`).

Source: G. Di Marzo, "RODAS5(4) -- Méthodes de Rosenbrock d'ordre 5(4) adaptées aux problèmes
différentiels-algébriques", MSc thesis, Université de Genève, 1993; the values below are the
original ``alpha_ij``, ``beta_ij = alpha_ij + gamma_ij`` (``gamma = 0.19``) in the notation of
Hairer & Wanner, *Solving ODEs II*, Sec. IV.7, as reproduced in the Rosenbrock tableaus of
OrdinaryDiffEq.jl. The method is stiffly accurate and L-stable: ``alpha_7j = beta_6j``,
``alpha_8j = beta_7j``, the solution weights are ``beta_8j`` and the embedded ones ``beta_7j``.
The transformed coefficients used by the stepper are derived from these tables at import.
"""

GAMMA = 0.19

ALPHA = (
    (),
    (0.38,),
    (0.1899188971074152, 0.1979321027247381),
    (0.1110729281178426, 0.5456026683145674, -0.1727037026450261),
    (0.2329444418850307, 0.025099380960713898, 0.1443314046300300, 0.054672473406183418),
    (-0.036201017843430883, 4.208448872731939, -7.549674427720996, -0.2076823626400282, 4.585108935472517),
    (7.585261698003052, -15.57426208319938, -8.814406895608121, 1.534698996826085, 16.07870828397837, 0.19),
    (0.4646018839086969, 0.0, -1.720907508837576, 0.2910480220957973, 1.821778861539924,
     -0.046521258706842056, 0.19),
)

# beta_ij for j < i (the diagonal is GAMMA)
BETA = (
    (),
    (0.0076920774666285364,),
    (-0.058129718999580252, -0.063251113355141360),
    (0.7075715596134048, -0.5980299539145789, 0.5294131505610923),
    (-0.034975026573934865, -0.1928476085817357, 0.089839586125126941, 0.027613185520411822),
    (7.585261698003052, -15.57426208319938, -8.814406895608121, 1.534698996826085, 16.07870828397837),
    (0.4646018839086969, 0.0, -1.720907508837576, 0.2910480220957973, 1.821778861539924,
     -0.046521258706842056),
    (0.4646018839086969, 0.0, -1.720907508837576, 0.2910480220957973, 1.821778861539924,
     -0.026744882930135193, -0.019776375776706864),
)

# y1 = y0 + sum b_j k_j (b = beta_8.) and the embedded y1_hat (b_hat = beta_7.)
B = BETA[7] + (GAMMA,)
B_HAT = BETA[6] + (GAMMA, 0.0)

# Continuous extension of order 4 on the transformed stages u_i (HW IV.7, (7.25)):
#   y(t0 + theta h) = (1 - theta) y0 + theta (y1 + (1 - theta)(w1 + theta (w2 + theta w3))),
#   w_d = sum_i H[d][i] u_i,
# with the coefficients H as tabulated in OrdinaryDiffEq.jl's Rodas5 tableau.
DENSE = (
    (27.354592673333357, -6.925207756232857, 26.40037733258859, 0.5635230501052979,
     -4.699151156849391, -1.6008677469422725, -1.5306074446748028, -1.3929872940716344),
    (44.19024239501722, 1.3677947663381929e-13, 202.93261852171622, -35.5669339789154,
     -181.91095152160645, 3.4116351403665033, 2.5793540257308067, 2.2435122582734066),
    (-44.0988150021747, -5.755396159656812e-13, -181.26175034586677, 56.99302194811676,
     183.21182741427398, -7.480257918273637, -5.792426076169686, -5.32503859794143),
)
