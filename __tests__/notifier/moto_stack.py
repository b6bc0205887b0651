"""Deploys notifier/template.yml through moto's CloudFormation and reports what it made.

Called by __tests__/notifier/stack-moto.test.ts with one JSON argument:
  {"parameters": {name: value}, "existingProvider": bool, "probe": bool}
and prints one JSON object: the stack's status and outputs, the role's trust policy and
inline policy, and (with "probe") what moto's IAM enforcement answered to each call the
action makes with the role's credentials. moto does not model AWS::IAM::OIDCProvider, so a
test that creates the role passes the ARN of a provider made here first.
"""

import ast
import json
import sys

import boto3
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

REGION = "ap-northeast-1"
ACCOUNT = "123456789012"


def deploy(request):
    parameters = dict(request["parameters"])
    iam = boto3.client("iam", region_name=REGION)
    if request.get("existingProvider"):
        parameters["OidcProviderArn"] = iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["0" * 40],
        )["OpenIDConnectProviderArn"]
    ecs = boto3.client("ecs", region_name=REGION)
    cluster = ecs.create_cluster(clusterName="batch")["cluster"]["clusterArn"]
    parameters.setdefault("ClusterArns", cluster)
    cfn = boto3.client("cloudformation", region_name=REGION)
    with open("notifier/template.yml", encoding="utf-8") as f:
        body = f.read()
    cfn.create_stack(
        StackName="hako-oneshot",
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName="hako-oneshot")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="hako-oneshot")["StackResourceSummaries"]
        if r["LogicalResourceId"]
    }
    result = {
        "status": stack["StackStatus"],
        "outputs": sorted(outputs),
        "resources": sorted(r for r in resources if r),
        "cluster": cluster,
    }
    if "RoleArn" in outputs:
        name = outputs["RoleArn"].split("/")[-1]
        role = iam.get_role(RoleName=name)["Role"]
        result["roleArn"] = outputs["RoleArn"]
        result["providerArn"] = parameters.get("OidcProviderArn")
        result["trust"] = role["AssumeRolePolicyDocument"]
        result["maxSession"] = role["MaxSessionDuration"]
        result["policy"] = {}
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = resolved(iam.get_role_policy(RoleName=name, PolicyName=policy_name))
            result["policy"][policy_name] = document
            # moto keeps a stack's inline policy as Python text, which its own IAM enforcement
            # cannot read: put the document the stack resolved back as JSON.
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
        if request.get("probe"):
            result["probe"] = probe(outputs, cluster)
    if "TaskLogGroup" in resources:
        logs = boto3.client("logs", region_name=REGION)
        group = logs.describe_log_groups(logGroupNamePrefix=resources["TaskLogGroup"])["logGroups"][0]
        result["taskLogGroup"] = {
            "name": group["logGroupName"],
            "retention": group.get("retentionInDays"),
        }
    return result


def resolved(answer):
    """A stack's inline policy as moto returns it (Python text, AWS::NoValue left as None),
    as CloudFormation would have put it: JSON, with AWS::NoValue's entries removed."""
    document = answer["PolicyDocument"]
    if isinstance(document, str):
        document = ast.literal_eval(document)
    document["Statement"] = [s for s in document["Statement"] if s is not None]
    return document


def probe(outputs, cluster):
    """Each call of the action, made with the role's own credentials under IAM enforcement."""
    sts = boto3.client("sts", region_name=REGION)
    creds = sts.assume_role_with_web_identity(
        RoleArn=outputs["RoleArn"], RoleSessionName="gha", WebIdentityToken="token"
    )["Credentials"]
    keys = dict(
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    bucket, prefix = outputs["OneshotNotificationPrefix"][len("s3://") :].split("/", 1)
    s3 = boto3.client("s3", **keys)
    ecs = boto3.client("ecs", **keys)
    answers = {}

    def attempt(name, call):
        try:
            call()
            answers[name] = "allowed"
        except Exception as error:  # the answer is what is reported
            code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            answers[name] = "denied" if code in ("AccessDenied", "AccessDeniedException", "403") else code

    @set_initial_no_auth_action_count(0)
    def enforced():
        attempt(
            "s3:PutObject task-definitions/",
            lambda: s3.put_object(Bucket=bucket, Key=f"{prefix}/task-definitions/f/x.json", Body=b"{}"),
        )
        attempt(
            "s3:PutObject runs/",
            lambda: s3.put_object(Bucket=bucket, Key=f"{prefix}/runs/1/1/0.json", Body=b"{}"),
        )
        attempt(
            "s3:GetObject <prefix>/",
            lambda: s3.get_object(Bucket=bucket, Key=f"{prefix}/task-definitions/f/x.json"),
        )
        attempt(
            "s3:PutObject <prefix>/<task ARN>/ (the notifier's keys)",
            lambda: s3.put_object(Bucket=bucket, Key=f"{prefix}/arn:aws:ecs:x/stopped.json", Body=b"{}"),
        )
        attempt(
            "s3:GetObject outside the prefix",
            lambda: s3.get_object(Bucket=bucket, Key="other/x.json"),
        )
        attempt(
            "ecs:RegisterTaskDefinition",
            lambda: ecs.register_task_definition(
                family="batch-oneshot",
                containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}],
            ),
        )
        attempt(
            "ecs:DescribeTaskDefinition",
            lambda: ecs.describe_task_definition(taskDefinition="batch-oneshot", include=["TAGS"]),
        )
        attempt("ecs:ListClusters (not granted)", lambda: ecs.list_clusters())

    enforced()
    return answers


def main():
    request = json.loads(sys.argv[1])
    with mock_aws():
        print(json.dumps(deploy(request)))


if __name__ == "__main__":
    main()
